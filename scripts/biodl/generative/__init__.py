"""Generative models: a WGAN-GP for sequences and variational autoencoders for expression and sequences.

:mod:`biodl.generative.runs` holds the functions the workflow calls (train, sample);
:mod:`~biodl.generative.gan` and :mod:`~biodl.generative.vae` build the models.
"""
