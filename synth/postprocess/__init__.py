"""Post-processing between generate and metrics: filter, calibrate, select, rebalance (see pipeline.py).

Each step follows one protocol (synth.postprocess.base.Step): fitted on the reference real posts, applied to a
synthetic set, returning the kept posts and a record of what it removed or changed and why.
"""
