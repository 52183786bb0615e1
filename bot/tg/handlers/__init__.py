"""The handlers, one module per audience: residents, help-request intake, volunteers, staff,
and emergencies (which come first for everyone). `bot.tg.app` registers them all."""
