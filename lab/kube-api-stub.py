#!/usr/bin/env python3
"""A stand-in for kube-apiserver, just enough for the real `kubectl get nodes`.

It serves the discovery documents (/api, /apis, /api/v1) and /api/v1/nodes (list) and
/api/v1/nodes/NAME from a JSON file holding a NodeList (or a bare list of nodes), reread
on every request so tests can change it, plus the nodes that registered themselves: a
kubelet (the lab's stand-in) PUTs its Node to /api/v1/nodes/NAME/status every few
seconds, and, as the node controller does, a node not heard from for 10 s is reported
with Ready "Unknown". It listens on loopback, or on ADDR (the lab bridge 10.77.0.1, so
the lab's hosts reach it).

With --tls CERT KEY CA it serves HTTPS and authenticates as kube-apiserver does with
client certificates (--client-ca-file) and anonymous auth off: a request without a
certificate the CA signed is 401 Unauthorized (a certificate from another CA fails the
handshake); a user's name is its certificate's CN and its groups its O. system:masters may
do anything; a node (CN system:node:NAME, O system:nodes) may read nodes and write only its
own node's status, as the Node authorizer and the NodeRestriction admission plugin allow
(plugin/pkg/auth/authorizer/node/node_authorizer.go, plugin/pkg/admission/noderestriction/
admission.go); anyone else is 403 Forbidden with kube-apiserver's words.

usage: kube-api-stub.py NODES.json [PORT [ADDR]] [--tls CERT KEY CA]
       (PORT 0 or absent: pick one; it is printed)
"""
import json
import ssl
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


TLS = None  # (cert, key, ca) with --tls


def status(code, reason, message, details=None):
    body = {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
            "message": message, "reason": reason, "code": code}
    if details:
        body["details"] = details
    return code, body


class Handler(BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def user(self):
        """(name, groups) from the client certificate; None without one (no TLS: anyone)."""
        if TLS is None:
            return ("system:admin", ["system:masters"])
        cert = self.connection.getpeercert()
        if not cert:
            return None
        rdns = [pair for rdn in cert.get("subject", ()) for pair in rdn]
        name = next((v for k, v in rdns if k == "commonName"), "")
        groups = [v for k, v in rdns if k == "organizationName"]
        return (name, groups)

    def denied(self, verb, node=None):
        """The refusal kube-apiserver would give this request, or None if it is allowed."""
        who = self.user()
        if who is None:
            return status(401, "Unauthorized", "Unauthorized")
        name, groups = who
        if "system:masters" in groups:
            return None
        if "system:nodes" in groups and name.startswith("system:node:"):
            own = name[len("system:node:"):]
            if verb in ("get", "list") or node == own:
                return None
            return status(403, "Forbidden",
                          f'nodes "{node}" is forbidden: node "{own}" is not allowed to modify node "{node}"',
                          {"name": node, "kind": "nodes"})
        what = f'nodes "{node}"' if node else "nodes"
        verb_word = {"update": "update", "get": "get", "list": "list"}[verb]
        scope = 'resource "nodes/status"' if verb == "update" else 'resource "nodes"'
        return status(403, "Forbidden",
                      f'{what} is forbidden: User "{name}" cannot {verb_word} {scope} in API group "" at the cluster scope',
                      {"name": node, "kind": "nodes"} if node else {"kind": "nodes"})

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
            refused = self.denied("update", parts[4])
            if refused:
                return self.send_json(*refused)
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
        refused = self.denied("list" if path == "/api/v1/nodes" else "get",
                              path.rsplit("/", 1)[1] if path.startswith("/api/v1/nodes/") else None)
        if refused:
            return self.send_json(*refused)
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
    global TLS
    args = sys.argv[1:]
    if "--tls" in args:
        i = args.index("--tls")
        TLS = tuple(args[i + 1:i + 4])
        args = args[:i] + args[i + 4:]
    port = int(args[1]) if len(args) > 1 else 0
    addr = args[2] if len(args) > 2 else "127.0.0.1"
    server = ThreadingHTTPServer((addr, port), Handler)
    if TLS:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(TLS[0], TLS[1])
        ctx.load_verify_locations(TLS[2])
        # A certificate is asked for, not required (anonymous requests get 401, as
        # kube-apiserver with --anonymous-auth=false); one the CA did not sign fails the handshake.
        ctx.verify_mode = ssl.CERT_OPTIONAL
        server.socket = ctx.wrap_socket(server.socket, server_side=True)
    print(server.server_address[1], flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
