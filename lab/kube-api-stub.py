#!/usr/bin/env python3
"""A stand-in for kube-apiserver, just enough for the real `kubectl get nodes`.

It serves the discovery documents (/api, /apis, /api/v1) and /api/v1/nodes (list) and
/api/v1/nodes/NAME from a JSON file holding a NodeList (or a bare list of nodes), reread
on every request so tests can change it. Loopback only.

usage: kube-api-stub.py NODES.json [PORT]   (PORT 0 or absent: pick one; it is printed)
"""
import json
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

NODES_FILE = sys.argv[1]

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
    server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    print(server.server_address[1], flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
