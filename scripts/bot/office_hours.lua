-- Outside Monday–Friday 09:00–17:00 (Madrid), says when the team is back and takes the visitor's email as a lead.
local words = parley.import("lib/words")

local TZ = "Europe/Madrid"
local WEEKDAY = {{"09:00", "17:00"}}
local HOURS = {mon = WEEKDAY, tue = WEEKDAY, wed = WEEKDAY, thu = WEEKDAY, fri = WEEKDAY}

local AWAY = "Our team is away right now: we answer Monday to Friday, 9:00 to 17:00 (Madrid time). "

parley.on("message.inbound", function(ctx)
  if parley.time.is_open(HOURS, TZ) then
    return
  end
  local attributes = ctx.conversation.attributes or {}
  if attributes.after_hours_lead then
    return -- we have their email already
  end
  local email = words.email(ctx.message.text) or ctx.visitor.email
  if email then
    ctx:capture_lead({email = email, name = ctx.visitor.name, source = "office_hours",
                      utm_source = ctx.utm.source, utm_campaign = ctx.utm.campaign})
    ctx:set("after_hours_lead", true)
    if attributes.after_hours_asked then
      ctx:reply("Thank you! We will write to " .. email .. " as soon as we are back.")
    else
      ctx:reply(AWAY .. "We will write to " .. email .. " as soon as we are back.")
    end
  elseif not attributes.after_hours_asked then
    ctx:set("after_hours_asked", true)
    ctx:reply(AWAY .. "Leave your email and we will get back to you.")
  end
end, {priority = 50})
