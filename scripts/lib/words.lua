-- Word helpers for rules: match what a visitor typed against phrases, ignoring case, accents and punctuation.
local M = {}

-- The normalized words of a text: "¡Hola, Señor!" gives {"hola", "senor"}.
function M.words(text)
  return parley.text.tokens(parley.text.normalize(text or ""))
end

-- True when the text contains one of the phrases as whole words ("hi" matches "Hi!" but not "this").
function M.has_any(text, phrases)
  local joined = " " .. table.concat(M.words(text), " ") .. " "
  for _, phrase in ipairs(phrases) do
    local wanted = " " .. table.concat(M.words(phrase), " ") .. " "
    if joined:find(wanted, 1, true) then
      return true
    end
  end
  return false
end

-- The first email address in a text, or nil.
function M.email(text)
  return (text or ""):match("[%w%.%%%+%-_]+@[%w%-]+%.[%w%.%-]+")
end

return M
