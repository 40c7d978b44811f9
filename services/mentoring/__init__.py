"""Pendampingan (mentoring) of innovations: mentors, sessions and their follow-ups."""
