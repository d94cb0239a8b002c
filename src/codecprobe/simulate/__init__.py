"""Simulated multi-speaker conversations from speaker-labelled corpora (``codecprobe simulate``)."""
from codecprobe.simulate.config import Distribution, SimulateConfig
from codecprobe.simulate.report import write_simulation_report
from codecprobe.simulate.study import Simulation, run_simulation

__all__ = ["Distribution", "SimulateConfig", "Simulation", "run_simulation", "write_simulation_report"]
