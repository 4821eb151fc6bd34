"""zhongtai (中台): move a monolith onto a middle platform, route by route, with proof."""

__version__ = "0.1.0"
