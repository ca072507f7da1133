"""Replays: a strategy over a candle file through the simulator on its virtual clock.

The very same code path as live trading: a simulator process replays the file (its `replay:`
feed), a full engine connects to it as to Binance, the strategy runs in the engine's host and
its orders go down the command queue; a driver steps the clock one bar at a time, as fast as the
machine allows. `python -m engine.replay --help`; the Strategies page starts the same command.
"""
