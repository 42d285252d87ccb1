"""Turning a composed piece into sound and pictures: FluidSynth render, loudness, encoding, piano roll."""
