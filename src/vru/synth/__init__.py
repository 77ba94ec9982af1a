"""The synthetic VRU world: a fictional force area with police and partner data and ground truth.

``vru.synth.generate(out, params)`` writes every file; ``vru.synth.params`` holds the knobs.
"""
