"""Gongji (共济): family mutual aid of employee medical insurance personal accounts."""

__version__ = "0.1.0"
