"""Post-processing between generate and metrics: filter, calibrate, select, rebalance, regenerate (see
pipeline.py).

Each step follows one protocol (synth.postprocess.base.Step): fitted on the reference real posts, applied to a
synthetic set, returning the kept posts and a record of what it removed or changed and why.
"""

# What runs when no step is named: regenerate calls the model again (time, and money for a paid API), so it
# runs only when asked for. Here, not in pipeline.py, so the CLI's parser can name it without loading pandas.
DEFAULT_STEPS: tuple[str, ...] = ("filter", "calibrate", "select", "rebalance")
