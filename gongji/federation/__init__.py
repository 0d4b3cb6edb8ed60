"""Provinces as instances: messages between Gongji instances through a hub (cross-province wallet transfers)."""
