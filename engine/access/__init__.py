"""Who may do what: roles, the user store the engine looks roles up in, the lockout policy.

The engine never trusts a role a command carries (commands carry none): it asks a `RoleSource`
for the actor's role, and the app's command path asks the same store before anything is queued.
"""
