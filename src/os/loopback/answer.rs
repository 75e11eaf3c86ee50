//! An HTTP/1.1 answer, written one way for every loopback listener: the status line, the
//! caller's headers, `Content-Length` and `Connection: close` (one request per connection).

/// A whole answer: status, headers and body.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Answer {
    status: u16,
    headers: Vec<(&'static str, String)>,
    body: Vec<u8>,
}

impl Answer {
    /// An answer with `status`, no headers and an empty body.
    pub fn new(status: u16) -> Answer {
        Answer {
            status,
            headers: Vec::new(),
            body: Vec::new(),
        }
    }

    /// Adds a header. Control characters (CR and LF above all) are dropped from the value, so
    /// no value can end the header early and add one of its own.
    pub fn header(mut self, name: &'static str, value: impl Into<String>) -> Answer {
        let value: String = value.into();
        let clean = value
            .chars()
            .filter(|c| *c == '\t' || !c.is_control())
            .collect();
        self.headers.push((name, clean));
        self
    }

    /// Sets the body and its `Content-Type`.
    pub fn body(self, content_type: &'static str, body: impl Into<Vec<u8>>) -> Answer {
        let mut a = self.header("Content-Type", content_type);
        a.body = body.into();
        a
    }

    /// A JSON body.
    pub fn json(status: u16, body: impl Into<Vec<u8>>) -> Answer {
        Answer::new(status).body("application/json", body)
    }

    /// The bytes on the wire.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = format!("HTTP/1.1 {} {}\r\n", self.status, reason(self.status));
        for (name, value) in &self.headers {
            out.push_str(&format!("{name}: {value}\r\n"));
        }
        out.push_str(&format!(
            "Content-Length: {}\r\nConnection: close\r\n\r\n",
            self.body.len()
        ));
        let mut bytes = out.into_bytes();
        bytes.extend_from_slice(&self.body);
        bytes
    }
}

fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        302 => "Found",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        408 => "Request Timeout",
        431 => "Request Header Fields Too Large",
        503 => "Service Unavailable",
        _ => "Internal Server Error",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_answer_is_written_whole_and_a_value_cannot_add_a_header() {
        let a = Answer::json(403, "{}").header("Location", "x\r\nSet-Cookie: a=b");
        assert_eq!(
            String::from_utf8(a.to_bytes()).unwrap(),
            "HTTP/1.1 403 Forbidden\r\nContent-Type: application/json\r\nLocation: xSet-Cookie: a=b\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}"
        );
    }
}
