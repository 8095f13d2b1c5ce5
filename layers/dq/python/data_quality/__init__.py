"""Data-quality monitoring in SageMaker Model Monitor's own file formats, for accounts without Model Monitor.

Pure, typed computation (profiling, sketches, checks, file rendering) lives in this package's top-level
modules; ``storage`` is the only module that talks to AWS. Built into its own Lambda layer (layers/dq) so
the other functions never import numpy or DataSketches.
"""
