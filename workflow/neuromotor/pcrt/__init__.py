"""Generation of the proprioceptive character recognition task (PCRT) dataset of DeepDraw.

Data flow: characters -> augmentation -> inverse kinematics -> muscle lengths -> spindle inputs -> assembly.
Units: cm for positions, degrees for joint angles, mm for muscle quantities, dt = 0.015 s per step.
"""
