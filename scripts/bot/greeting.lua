-- Welcomes a visitor who says hello (English or Spanish) and offers the usual next steps as buttons.
local words = parley.import("lib/words")

local ENGLISH = {"hello", "hi", "hey", "good morning", "good afternoon", "good evening"}
local SPANISH = {"hola", "buenas", "buenos dias", "buenas tardes", "buenas noches"}

parley.on("message.inbound", function(ctx)
  local text = ctx.message.text
  if words.has_any(text, SPANISH) then
    ctx:reply("¡Hola! Bienvenido a Acme. ¿En qué podemos ayudarte?",
      {quick_replies = {"Precios", "Reservar una demo", "Hablar con una persona"}})
  elseif words.has_any(text, ENGLISH) then
    ctx:reply("Hello! Welcome to Acme. How can we help you today?",
      {quick_replies = {"Pricing", "Book a demo", "Talk to a human"}})
  end
end, {priority = 100})
