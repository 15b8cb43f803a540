"""The main path of a mail client with Python's imaplib, against a Herald IMAP server over implicit TLS and STARTTLS.

Usage: imaplib_session.py HOST IMAPS_PORT IMAP_PORT USER PASSWORD
Prints one "key: value" line per fact; the Java test checks them.
"""
import hashlib
import imaplib
import ssl
import sys

imaplib.Commands.setdefault("MOVE", ("SELECTED",))

host, imaps_port, imap_port, user, password = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4], sys.argv[5]
ctx = ssl.create_default_context()
ctx.check_hostname = False
ctx.verify_mode = ssl.CERT_NONE

# STARTTLS first: log in and out
m = imaplib.IMAP4(host, imap_port)
print("starttls-capabilities:", " ".join(sorted(m.capabilities)))
m.starttls(ssl_context=ctx)
typ, _ = m.login(user, password)
print("starttls-login:", typ)
m.logout()

m = imaplib.IMAP4_SSL(host, imaps_port, ssl_context=ctx)
typ, _ = m.login(user, password)
print("login:", typ)
typ, folders = m.list()
for f in folders:
    print("list:", f.decode())
typ, data = m.select("INBOX")
print("exists:", data[0].decode())
typ, data = m.search(None, "FROM", '"elsa@herald.test"')
print("search-from:", data[0].decode())
typ, data = m.search(None, "BODY", "snowman")
print("search-body:", data[0].decode())
first = data[0].split()[0]
typ, data = m.fetch(first, "(UID RFC822.SIZE BODY.PEEK[])")
body = data[0][1]
print("fetch-sha256:", hashlib.sha256(body).hexdigest())
print("fetch-meta:", data[0][0].decode())
typ, data = m.fetch(first, "(FLAGS)")
print("flags-before:", data[0].decode())
typ, data = m.store(first, "+FLAGS", "(\\Seen)")
print("store:", data[0].decode())
typ, data = m.uid("SEARCH", None, "UNSEEN")
print("unseen-uids:", data[0].decode())
typ, data = m.append("Sent", "(\\Seen)", imaplib.Time2Internaldate(1_700_000_000),
                     b"From: olaf@herald.test\r\nTo: elsa@herald.test\r\nSubject: from imaplib\r\n\r\nSummer!\r\n")
print("append:", typ, data[0].decode())
typ, data = m.copy(first, "Trash")
print("copy:", typ, data[0].decode())
typ, data = m._simple_command("MOVE", first, "Junk")   # RFC 6851; imaplib has no move()
print("move:", typ)
typ, data = m.status("Junk", "(MESSAGES UIDNEXT)")
print("status-junk:", data[0].decode())
m.close()
m.logout()
print("done: ok")
