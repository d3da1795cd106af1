"""A two-node Ray cluster on loopback, for tests and the grid benchmark.

Each node is `ray start ... --block` in its own process group, so a test can SIGKILL one node
(every process of it) and the end stops only this cluster's processes, never another Ray on the
machine (`ray stop` would stop them all). Ray 2.60 lets a second node join only with token
authentication: RAY_AUTH_MODE=token and a token from `ray get-auth-token --generate`.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

RAY = str(Path(sys.executable).parent / "ray")
ROOT = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Node:
    def __init__(self, args: list[str], env: dict, log: Path):
        self.log = log
        self.process = subprocess.Popen([RAY, "start", *args, "--block"], env=env,
                                        stdout=open(log, "w"), stderr=subprocess.STDOUT,
                                        start_new_session=True)

    @property
    def node_id(self) -> str | None:
        """The Ray node id, read from its raylet's command line."""
        for pid in _group_and_descendants(self.process.pid):
            with contextlib.suppress(OSError):
                argv = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
                if argv and argv[0].endswith(b"/raylet"):
                    for arg in argv:
                        if arg.startswith(b"--node_id="):
                            return arg.split(b"=", 1)[1].decode()
        return None

    def kill(self):
        """SIGKILL every process of the node: its process group (raylet, GCS, agents) and their
        descendants (Ray's workers, which start sessions of their own)."""
        for pid in _group_and_descendants(self.process.pid):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        self.process.wait(timeout=30)


def _group_and_descendants(pgid: int) -> list[int]:
    parent, group = {}, set()
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError, ValueError, IndexError):
            fields = stat.read_text().rsplit(")", 1)[1].split()
            pid = int(stat.parent.name)
            parent[pid] = int(fields[1])
            if int(fields[2]) == pgid:
                group.add(pid)
    found, frontier = set(group), list(group)
    while frontier:
        pid = frontier.pop()
        for child, ppid in parent.items():
            if ppid == pid and child not in found:
                found.add(child)
                frontier.append(child)
    return sorted(found)


@contextlib.contextmanager
def loopback_cluster(log_dir: Path, nodes: int = 2, cpus_per_node: int = 1):
    """Yield (address, env, [Node]): a head and `nodes - 1` workers on 127.0.0.1. `env` is
    what a driver (a script) needs to join: RAY_AUTH_MODE=token, no RAY_ADDRESS, this
    checkout on PYTHONPATH."""
    log_dir.mkdir(parents=True, exist_ok=True)
    env = {k: v for k, v in os.environ.items() if k != "RAY_ADDRESS"}
    # The memory monitor off: on a machine shared with other jobs it kills trials for memory
    # those jobs use, which is not what a test of ours is about.
    env.update(RAY_AUTH_MODE="token", TF_CPP_MIN_LOG_LEVEL="2", RAY_memory_monitor_refresh_ms="0")
    # The nodes' workers import this checkout's pse_tf (on a real cluster: pse_tf installed on
    # every node).
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), *filter(None, [env.get("PYTHONPATH")])])
    subprocess.run([RAY, "get-auth-token", "--generate"], env=env, check=True,
                   capture_output=True, timeout=120)
    port = _free_port()
    address = f"127.0.0.1:{port}"
    common = ["--node-ip-address", "127.0.0.1", "--num-cpus", str(cpus_per_node),
              "--num-gpus", "0", "--disable-usage-stats"]
    started = [Node(["--head", "--port", str(port), "--include-dashboard=false", *common], env,
                    log_dir / "head.log")]
    try:
        _wait(lambda: _listening(port), 180, "the head node", log_dir / "head.log")
        for k in range(1, nodes):
            started.append(Node(["--address", address, *common], env, log_dir / f"node{k}.log"))
        _wait(lambda: _alive_nodes(address, env) >= nodes, 180, f"{nodes} nodes",
              log_dir / f"node{nodes - 1}.log")
        yield address, env, started
    finally:
        for node in reversed(started):
            node.kill()


def _listening(port: int) -> bool:
    with contextlib.suppress(OSError):
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
        return True
    return False


def _alive_nodes(address: str, env: dict) -> int:
    probe = ("import ray; ray.init(address=%r, log_to_driver=False); "
             "print(sum(n['Alive'] for n in ray.nodes()))" % address)
    done = subprocess.run([sys.executable, "-c", probe], env=env, capture_output=True,
                          text=True, timeout=120)
    lines = done.stdout.strip().splitlines()
    return int(lines[-1]) if done.returncode == 0 and lines and lines[-1].isdigit() else 0


def _wait(ready, seconds: float, what: str, log: Path):
    deadline = time.time() + seconds
    while not ready():
        if time.time() > deadline:
            raise TimeoutError(f"{what} did not start in {seconds:.0f} s: "
                               f"{log.read_text()[-2000:] if log.exists() else ''}")
        time.sleep(1)
