"""The reverse proxy's path map (deploy/nginx.conf), read by the tests: the deployment test
checks it against the app's routes, and the system test's clients use it to pick the service a
request goes to, exactly as nginx would in front of the compose services."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

MAP = re.compile(r"map\s+\$uri\s+\$backend\s*\{(?P<body>[^}]*)\}", re.S)


@dataclass(frozen=True)
class NginxRoutes:
    default: str
    rules: tuple[tuple[re.Pattern[str], str], ...]

    @classmethod
    def parse(cls, path: Path) -> NginxRoutes:
        found = MAP.search(path.read_text())
        assert found, f"no `map $uri $backend` in {path}"
        default = ""
        rules: list[tuple[re.Pattern[str], str]] = []
        for line in found.group("body").splitlines():
            line = line.split("#", 1)[0].strip().rstrip(";").strip()
            if not line:
                continue
            key, backend = line.rsplit(None, 1)
            if key == "default":
                default = backend
            elif key.startswith("~"):
                rules.append((re.compile(key[1:]), backend))
            else:
                rules.append((re.compile(re.escape(key) + "$"), backend))
        return cls(default, tuple(rules))

    def service_for(self, path: str) -> str:
        """nginx's ``map`` with regular expressions: the first that matches wins."""
        for pattern, backend in self.rules:
            if pattern.search(path):
                return backend
        return self.default
