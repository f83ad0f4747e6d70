-- Qualifies a sales lead step by step: company size, then email, then captures the lead for the sales team.
local words = parley.import("lib/words")

local SIZES = {"1-10", "11-50", "51-200", "200+"}
local ASKS_PRICE = {"pricing", "price", "prices", "quote", "cost", "plans", "precios", "precio"}

-- "11-50", "11 - 50", "200+" or a plain number of people; nil otherwise.
local function companySize(text)
  local t = text:gsub("%s", "")
  for _, size in ipairs(SIZES) do
    if t == size then return size end
  end
  local n = tonumber(t:match("^(%d+)$") or "")
  if not n or n < 1 then return nil end
  if n <= 10 then return "1-10" elseif n <= 50 then return "11-50" elseif n <= 200 then return "51-200" end
  return "200+"
end

parley.on("message.inbound", function(ctx)
  local attributes = ctx.conversation.attributes or {}
  local step = attributes.lead_step
  local text = ctx.message.text

  if step == nil then
    if words.has_any(text, ASKS_PRICE) then
      ctx:set("lead_step", "size")
      ctx:reply("Happy to help with pricing! How many people work at your company?", {quick_replies = SIZES})
    end
  elseif step == "size" then
    local size = companySize(text)
    if not size then
      ctx:reply("Sorry, I did not get that. How many people work at your company?", {quick_replies = SIZES})
      return
    end
    ctx:set("company_size", size)
    ctx:set("lead_step", "email")
    ctx:reply("Thanks! Which email should our sales team write to?")
  elseif step == "email" then
    local email = words.email(text)
    if not email then
      ctx:reply("That does not look like an email address. Could you type it again?")
      return
    end
    ctx:capture_lead({email = email, company_size = attributes.company_size, name = ctx.visitor.name,
                      source = "lead_qualification", utm_source = ctx.utm.source})
    ctx:set("lead_step", "done")
    ctx:reply("Perfect. Someone from sales will write to " .. email .. " within one business day.")
  end
end, {priority = 150})
