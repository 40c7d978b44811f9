"""Monitoring dan evaluasi (monev) of established innovations: service and routes."""
