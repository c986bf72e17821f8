#!/usr/bin/env python3
"""A stand-in for kube-apiserver, just enough for the real `kubectl get nodes`.

It serves the discovery documents (/api, /apis, /api/v1) and /api/v1/nodes (list) and
/api/v1/nodes/NAME from a JSON file holding a NodeList (or a bare list of nodes), reread
on every request so tests can change it, plus the nodes that registered themselves: a
kubelet (the lab's stand-in) PUTs its Node to /api/v1/nodes/NAME/status every few
seconds, and, as the node controller does, a node not heard from for 10 s is reported
with Ready "Unknown". It listens on loopback, or on ADDR (the lab bridge 10.77.0.1, so
the lab's hosts reach it).

usage: kube-api-stub.py NODES.json [PORT [ADDR]]   (PORT 0 or absent: pick one; it is printed)
"""
import json
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

NODES_FILE = sys.argv[1]
GRACE = 10.0
REGISTERED = {}  # name -> (node, time of its last status)
LOCK = threading.Lock()

API_VERSIONS = {"kind": "APIVersions", "versions": ["v1"],
                "serverAddressByClientCIDRs": [{"clientCIDR": "0.0.0.0/0", "serverAddress": "127.0.0.1"}]}
API_GROUPS = {"kind": "APIGroupList", "apiVersion": "v1", "groups": []}
V1_RESOURCES = {"kind": "APIResourceList", "groupVersion": "v1", "resources": [
    {"name": "nodes", "singularName": "node", "namespaced": False, "kind": "Node",
     "verbs": ["get", "list", "watch"], "shortNames": ["no"]}]}


def node_list():
    with open(NODES_FILE) as f:
        doc = json.load(f)
    items = doc if isinstance(doc, list) else doc.get("items", [])
    now = time.time()
    with LOCK:
        registered = dict(REGISTERED)
    names = {n.get("metadata", {}).get("name") for n in items}
    items = [n for n in items]
    for name, (node, seen) in sorted(registered.items()):
        node = json.loads(json.dumps(node))
        if now - seen > GRACE:
            for c in node.get("status", {}).get("conditions", []):
                if c.get("type") == "Ready":
                    c["status"] = "Unknown"
                    c["reason"] = "NodeStatusUnknown"
                    c["message"] = "Kubelet stopped posting node status."
        if name in names:
            items = [node if n.get("metadata", {}).get("name") == name else n for n in items]
        else:
            items.append(node)
    return {"kind": "NodeList", "apiVersion": "v1", "metadata": {"resourceVersion": "1"}, "items": items}


class Handler(BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def send_json(self, code, body):
        data = json.dumps(body).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_PUT(self):
        path = self.path.split("?")[0].rstrip("/")
        parts = path.split("/")
        if len(parts) == 6 and parts[1:4] == ["api", "v1", "nodes"] and parts[5] == "status":
            body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))) or b"{}")
            node = {"metadata": {"name": parts[4]}, "spec": body.get("spec", {}),
                    "status": body.get("status", {})}
            with LOCK:
                REGISTERED[parts[4]] = (node, time.time())
            return self.send_json(200, {"kind": "Node", "apiVersion": "v1", **node})
        self.send_json(404, {"kind": "Status", "apiVersion": "v1", "status": "Failure",
                             "message": "the server could not find the requested resource",
                             "reason": "NotFound", "code": 404})

    def do_GET(self):
        path = self.path.split("?")[0].rstrip("/")
        if path == "/api":
            return self.send_json(200, API_VERSIONS)
        if path == "/apis":
            return self.send_json(200, API_GROUPS)
        if path == "/api/v1":
            return self.send_json(200, V1_RESOURCES)
        if path == "/api/v1/nodes":
            return self.send_json(200, node_list())
        if path.startswith("/api/v1/nodes/"):
            name = path.rsplit("/", 1)[1]
            for n in node_list()["items"]:
                if n.get("metadata", {}).get("name") == name:
                    return self.send_json(200, {"kind": "Node", "apiVersion": "v1", **n})
            return self.send_json(404, {"kind": "Status", "apiVersion": "v1", "status": "Failure",
                                        "message": f'nodes "{name}" not found', "reason": "NotFound",
                                        "details": {"name": name, "kind": "nodes"}, "code": 404})
        self.send_json(404, {"kind": "Status", "apiVersion": "v1", "status": "Failure",
                             "message": "the server could not find the requested resource",
                             "reason": "NotFound", "code": 404})


def main():
    port = int(sys.argv[2]) if len(sys.argv) > 2 else 0
    addr = sys.argv[3] if len(sys.argv) > 3 else "127.0.0.1"
    server = ThreadingHTTPServer((addr, port), Handler)
    print(server.server_address[1], flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
