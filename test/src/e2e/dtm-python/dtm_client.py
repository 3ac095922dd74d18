"""A DTM-style client and participant in Python, standard library only.

It speaks DTM's HTTP protocol to the coordinator named by DTM_SERVER (for example
http://127.0.0.1:7070/api/dtmsvr), runs a saga and a tcc against participants it serves
itself, and exits 0 when both end as DTM documents. Nothing in it knows about Accord.
"""
import json
import os
import sys
import threading
import time
import urllib.parse
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

DTM = os.environ["DTM_SERVER"].rstrip("/")
# DTM's SDKs with protocol "jsonrpc" post to /api/json-rpc on the same server.
JSON_RPC = DTM.rsplit("/api/", 1)[0] + "/api/json-rpc"
CALLS = []


class Participant(BaseHTTPRequestHandler):
    def _handle(self):
        url = urllib.parse.urlparse(self.path)
        query = dict(urllib.parse.parse_qsl(url.query))
        length = int(self.headers.get("content-length") or 0)
        body = self.rfile.read(length).decode() if length else ""
        CALLS.append((self.command, url.path, query, body))
        status = 409 if url.path == "/TransInFail" else 200
        reply = json.dumps({"dtm_result": "FAILURE" if status == 409 else "SUCCESS"}).encode()
        self.send_response(status)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(reply)))
        self.end_headers()
        self.wfile.write(reply)

    do_GET = _handle
    do_POST = _handle

    def log_message(self, *args):
        pass


def dtm(method, path, body=None):
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(f"{DTM}/{path}", data=data, method=method)
    request.add_header("content-type", "application/json")
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.loads(response.read() or b"{}")
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"{}")


def jrpc(method, params):
    body = {"jsonrpc": "2.0", "id": "no-use", "method": method, "params": params}
    request = urllib.request.Request(JSON_RPC, data=json.dumps(body).encode(), method="POST")
    request.add_header("content-type", "application/json")
    with urllib.request.urlopen(request, timeout=30) as response:
        return response.status, json.loads(response.read())


def expect(what, actual, wanted):
    if actual != wanted:
        print(f"FAIL {what}: got {actual!r}, wanted {wanted!r}")
        sys.exit(1)
    print(f"ok {what}")


def wait_status(gid, status):
    for _ in range(200):
        _, answer = dtm("GET", f"query?gid={gid}")
        if (answer.get("transaction") or {}).get("status") == status:
            return status
        time.sleep(0.1)
    return (answer.get("transaction") or {}).get("status")


def main():
    server = ThreadingHTTPServer(("127.0.0.1", 0), Participant)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    busi = f"http://127.0.0.1:{server.server_address[1]}"

    _, answer = dtm("GET", "newGid")
    gid = answer["gid"]
    saga = {
        "gid": gid,
        "trans_type": "saga",
        "steps": [
            {"action": f"{busi}/TransOut", "compensate": f"{busi}/TransOutCompensate"},
            {"action": f"{busi}/TransInFail", "compensate": f"{busi}/TransInCompensate"},
        ],
        "payloads": [json.dumps({"amount": 30}), json.dumps({"amount": 30})],
        "wait_result": True,
    }
    status, answer = dtm("POST", "submit", saga)
    expect("saga refused by its second step answers 409", status, 409)
    expect("saga ends failed", wait_status(gid, "failed"), "failed")
    ops = sorted((path, q["op"]) for _, path, q, _ in CALLS if q.get("gid") == gid)
    expect(
        "saga compensated both steps",
        ops,
        sorted(
            [
                ("/TransOut", "action"),
                ("/TransInFail", "action"),
                ("/TransOutCompensate", "compensate"),
                ("/TransInCompensate", "compensate"),
            ]
        ),
    )

    _, answer = dtm("GET", "newGid")
    gid = answer["gid"]
    expect("tcc prepare", dtm("POST", "prepare", {"gid": gid, "trans_type": "tcc"})[0], 200)
    for branch, name in (("01", "TransOut"), ("02", "TransIn")):
        registered = dtm(
            "POST",
            "registerBranch",
            {
                "gid": gid,
                "branch_id": branch,
                "trans_type": "tcc",
                "status": "prepared",
                "data": json.dumps({"amount": 30}),
                "confirm": f"{busi}/{name}Confirm",
                "cancel": f"{busi}/{name}Cancel",
            },
        )
        expect(f"tcc register {branch}", registered, (200, {"dtm_result": "SUCCESS"}))
        # The try is the client's own call, as in DTM.
        urllib.request.urlopen(f"{busi}/{name}Try?gid={gid}&branch_id={branch}&op=try").read()
    status, answer = dtm("POST", "submit", {"gid": gid, "trans_type": "tcc", "wait_result": True})
    expect("tcc submit", (status, answer), (200, {"dtm_result": "SUCCESS"}))
    expect("tcc ends succeed", wait_status(gid, "succeed"), "succeed")
    confirms = sorted(path for _, path, q, _ in CALLS if q.get("gid") == gid and q.get("op") == "confirm")
    expect("tcc confirmed both branches", confirms, ["/TransInConfirm", "/TransOutConfirm"])

    # The same client over JSON-RPC: a tcc aborted after its try, waiting for the cancel.
    status, answer = jrpc("newGid", "")
    expect("json-rpc newGid", (status, sorted(answer["result"])), (200, ["gid"]))
    gid = answer["result"]["gid"]
    expect("json-rpc prepare", jrpc("prepare", {"gid": gid, "trans_type": "tcc"})[1].get("error"), None)
    registered = jrpc(
        "registerBranch",
        {
            "gid": gid,
            "branch_id": "01",
            "trans_type": "tcc",
            "data": json.dumps({"amount": 30}),
            "confirm": f"{busi}/TransOutConfirm",
            "cancel": f"{busi}/TransOutCancel",
        },
    )
    expect("json-rpc register", registered[1].get("error"), None)
    aborted = jrpc("abort", {"gid": gid, "trans_type": "tcc", "wait_result": True})
    expect("json-rpc abort", aborted, (200, {"jsonrpc": "2.0", "id": "no-use", "result": None}))
    expect("json-rpc tcc ends failed", wait_status(gid, "failed"), "failed")
    cancels = [path for _, path, q, _ in CALLS if q.get("gid") == gid and q.get("op") == "cancel"]
    expect("json-rpc tcc cancelled its branch", cancels, ["/TransOutCancel"])
    late = jrpc("submit", {"gid": gid, "trans_type": "tcc"})[1]
    expect("json-rpc submit after abort is DTM's failure", late["error"]["code"], -32901)
    server.shutdown()


if __name__ == "__main__":
    main()
