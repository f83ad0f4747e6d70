-- Hands the conversation to a person when the visitor asks for one ("human", "agent", "operator", ...).
local words = parley.import("lib/words")

local ASKS = {"human", "agent", "operator", "real person", "talk to someone", "humano", "agente", "operador",
              "una persona"}

parley.on("message.inbound", function(ctx)
  local attributes = ctx.conversation.attributes or {}
  if attributes.handed_off then
    return -- a person has it already; say nothing more
  end
  if words.has_any(ctx.message.text, ASKS) then
    ctx:set("handed_off", true)
    ctx:handoff("visitor asked for a person")
    ctx:reply("Of course. I am bringing in someone from our team; they will answer here in a moment.")
  end
end, {priority = 20})
