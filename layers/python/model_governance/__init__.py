"""Shared package of the SageMaker model governance backend: event models, domain logic, AWS adapters."""

__version__ = "0.1.0"
