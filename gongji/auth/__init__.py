"""Who is calling: insured people and staff with a password and a session token, institutions with signed requests."""
