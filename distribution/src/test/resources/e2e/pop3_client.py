"""A POP3 session with Python's poplib, driven by Pop3EndToEndTest.

usage: pop3_client.py STLS_PORT TLS_PORT USER PASSWORD OUT_DIR

STLS session: capa, user/pass_, stat, list, uidl, retr of every message (bytes written to OUT_DIR/<n>.eml, each line
joined with CRLF as poplib returns them, the stuffing removed), top n 0, dele 1 + rset (nothing removed), dele 1 +
quit (message 1 removed). Then an implicit-TLS session (POP3_SSL): stat, uidl, quit. Prints one JSON object.
"""
import json
import os
import poplib
import ssl
import sys

stls_port, tls_port, user, password, out = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5]
ctx = ssl._create_unverified_context()   # the server's certificate is self-signed
result = {}

p = poplib.POP3('127.0.0.1', stls_port, timeout=60)
result['greeting'] = p.getwelcome().decode()
before_tls = p.capa()
result['capa_before_tls'] = {k: v for k, v in before_tls.items()}
try:
    p.user(user)
    result['user_before_tls'] = 'accepted'
except poplib.error_proto as e:
    result['user_before_tls'] = e.args[0].decode()
p.stls(context=ctx)
result['capa_after_tls'] = {k: v for k, v in p.capa().items()}
p.user(user)
result['pass'] = p.pass_(password).decode()
count, size = p.stat()
result['stat'] = [count, size]
resp, listing, _ = p.list()
result['list'] = [l.decode() for l in listing]
resp, uidl, _ = p.uidl()
result['uidl'] = [l.decode() for l in uidl]
result['uidl_1'] = p.uidl(1).decode()
octets = {}
for n in range(1, count + 1):
    resp, lines, n_octets = p.retr(n)
    data = b''.join(l + b'\r\n' for l in lines)
    with open(os.path.join(out, '%d.eml' % n), 'wb') as f:
        f.write(data)
    octets[n] = [n_octets, len(data), resp.decode()]
result['retr'] = octets
resp, lines, _ = p.top(1, 0)
result['top_1_0'] = b''.join(l + b'\r\n' for l in lines).decode('latin-1')
try:
    p.retr(count + 1)
except poplib.error_proto as e:
    result['retr_missing'] = e.args[0].decode()
p.dele(1)
try:
    p.retr(1)
except poplib.error_proto as e:
    result['retr_deleted'] = e.args[0].decode()
result['stat_after_dele'] = list(p.stat())
result['rset'] = p.rset().decode()
result['stat_after_rset'] = list(p.stat())
p.dele(1)
result['quit'] = p.quit().decode()

s = poplib.POP3_SSL('127.0.0.1', tls_port, context=ctx, timeout=60)
s.user(user)
s.pass_(password)
result['implicit_stat'] = list(s.stat())
resp, uidl2, _ = s.uidl()
result['implicit_uidl'] = [l.decode() for l in uidl2]
s.quit()
print(json.dumps(result))
