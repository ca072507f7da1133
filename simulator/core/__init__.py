"""The parts every venue shares: server context and request pipeline, auth, parameters, errors,
rate limits, faults, the control plane, the clock, persistence and the one stream hub."""
