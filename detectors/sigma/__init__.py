"""Sigma rules, compiled with pySigma into Python matchers."""
from .engine import CompiledRule, SigmaEngine, load_rule_files

__all__ = ["CompiledRule", "SigmaEngine", "load_rule_files"]
