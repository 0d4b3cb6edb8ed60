"""Acting for someone (代办, AG-1): a person authorizes a relative as his agent for chosen actions and a period."""
