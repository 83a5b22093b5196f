"""What every trained network of the workflow shares: device choice, seeded batching, checkpoints, histories.

The training recipes themselves differ by study (spec) and live with the study: ``neuromotor.<study>``.
"""
