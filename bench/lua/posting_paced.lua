-- Paced posting: posting.lua's replies (loaded before this file), but each
-- connection waits args[2] ms before each one, so together they come at a
-- set rate (a little under it: the wait leaves out the reply's own time).
local pause = 0
local load = init

function init(args)
   load(args)
   pause = tonumber(args[2]) or 0
end

function delay()
   return pause
end
