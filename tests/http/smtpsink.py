"""A real SMTP server on loopback for the newsletter tests (aiosmtpd).

  Sink          an SMTP server on 127.0.0.1 that keeps every message it
                accepts, as raw bytes, once per RCPT TO; it can answer RCPT
                for chosen addresses with a reply of the test's choosing
                ("451 4.3.0 try later", "550 5.1.1 no such user")

    with Sink() as sink:
        url = sink.url                      # "smtp://127.0.0.1:PORT"
        sink.refuse("a@example.org", "451 4.3.0 try later")
        d = sink.wait_for("b@example.org", timeout=10)   # a Delivery
        sink.count()                        # deliveries in all

Every wait is bounded; nothing leaves 127.0.0.1.
"""

import collections
import email
import email.parser
import email.policy
import socket
import threading
import time

from aiosmtpd.controller import Controller


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Delivery:
    """One message as accepted for one recipient."""

    def __init__(self, mail_from, rcpt, data, when):
        self.mail_from = mail_from
        self.rcpt = rcpt                # as given in RCPT TO
        self.data = data                # raw bytes, CRLF, dots unstuffed
        self.when = when                # time.monotonic() at acceptance
        hdr = email.parser.BytesHeaderParser(
            policy=email.policy.compat32).parsebytes(data)
        self.message_id = (hdr.get("Message-ID") or "").strip()

    def message(self):
        """The parsed message (email.policy.default)."""
        return email.message_from_bytes(self.data,
                                        policy=email.policy.default)

    def __repr__(self):
        return "<Delivery to %s %s, %d bytes>" % (self.rcpt, self.message_id,
                                                  len(self.data))


class _Handler:
    def __init__(self, sink):
        self.sink = sink

    async def handle_RCPT(self, server, session, envelope, address,
                          rcpt_options):
        s = self.sink
        with s.lock:
            s.rcpt_attempts[address.lower()] += 1
            reply = s.replies.get(address.lower())
        if reply:
            return reply
        envelope.rcpt_tos.append(address)
        return "250 2.1.5 OK"

    async def handle_DATA(self, server, session, envelope):
        data = envelope.original_content
        if data is None:
            data = envelope.content
        if isinstance(data, str):
            data = data.encode("utf-8", "surrogateescape")
        now = time.monotonic()
        s = self.sink
        with s.lock:
            for rcpt in envelope.rcpt_tos:
                s.deliveries.append(Delivery(envelope.mail_from, rcpt,
                                             bytes(data), now))
            s.cond.notify_all()
        return "250 2.0.0 Message accepted for delivery"


class Sink:
    """An SMTP server on 127.0.0.1:PORT keeping what it accepts."""

    def __init__(self):
        self.lock = threading.Lock()
        self.cond = threading.Condition(self.lock)
        self.deliveries = []
        self.replies = {}                       # address -> RCPT reply
        self.rcpt_attempts = collections.Counter()
        self.controller = None
        self.port = None

    def start(self):
        last = None
        for _ in range(5):
            port = free_port()
            c = Controller(_Handler(self), hostname="127.0.0.1", port=port,
                           ready_timeout=10.0)
            try:
                c.start()
            except Exception as e:      # lost the race for the port
                last = e
                continue
            self.controller, self.port = c, port
            return self
        raise RuntimeError("the SMTP sink cannot start: %r" % (last,))

    def stop(self):
        if self.controller is not None:
            self.controller.stop()
            self.controller = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    @property
    def url(self):
        return "smtp://127.0.0.1:%d" % self.port

    # -- what to answer ----------------------------------------------------

    def refuse(self, address, reply):
        """Answer RCPT TO:<address> with reply (e.g. "550 5.1.1 ...")."""
        with self.lock:
            self.replies[address.lower()] = reply

    def accept(self, address):
        with self.lock:
            self.replies.pop(address.lower(), None)

    def attempts(self, address):
        """How many times RCPT TO:<address> was tried (refused or not)."""
        with self.lock:
            return self.rcpt_attempts[address.lower()]

    # -- what came --------------------------------------------------------

    def all(self):
        with self.lock:
            return list(self.deliveries)

    def count(self):
        with self.lock:
            return len(self.deliveries)

    def to(self, address):
        a = address.lower()
        with self.lock:
            return [d for d in self.deliveries if d.rcpt.lower() == a]

    def per_rcpt(self):
        with self.lock:
            return collections.Counter(d.rcpt.lower()
                                       for d in self.deliveries)

    def per_message_id(self):
        with self.lock:
            return collections.Counter(d.message_id for d in self.deliveries)

    def wait_count(self, n, timeout):
        """Waits until at least n deliveries came; the count."""
        deadline = time.monotonic() + timeout
        with self.cond:
            while len(self.deliveries) < n:
                left = deadline - time.monotonic()
                if left <= 0:
                    break
                self.cond.wait(min(left, 0.2))
            return len(self.deliveries)

    def wait_for(self, address, timeout, after=0):
        """The first delivery to address beyond the first `after` ones
        to it, or None when none came within timeout seconds."""
        a = address.lower()
        deadline = time.monotonic() + timeout
        with self.cond:
            while True:
                got = [d for d in self.deliveries if d.rcpt.lower() == a]
                if len(got) > after:
                    return got[after]
                left = deadline - time.monotonic()
                if left <= 0:
                    return None
                self.cond.wait(min(left, 0.2))
