//! A composed mail to RFC 5322 bytes: trace headers, address headers, threading headers,
//! client-specific headers and the MIME structure.

use chrono::DateTime;

use super::body::{Body, Enc};
use super::mime;
use super::text::{Client, Lang};
use super::{Gen, Rcpt};

impl Gen {
    pub(crate) fn render(&mut self, m: RenderMail) -> Vec<u8> {
        let a = &self.people[m.author];
        let (client, b_enc, email, display) = (
            a.client,
            a.lang == Lang::Ja,
            a.email.clone(),
            a.display.clone(),
        );
        let domain = email
            .split('@')
            .nth(1)
            .unwrap_or("corp.example")
            .to_string();
        let local_date = a.local(m.date);
        let utc = |t: i64| {
            DateTime::from_timestamp(t, 0)
                .unwrap()
                .format("%a, %d %b %Y %H:%M:%S +0000")
                .to_string()
        };
        let mut h = String::with_capacity(2048);

        // Trace headers, newest first.
        h.push_str(&format!("Return-Path: <{email}>\n"));
        if self.rng.gen_bool(0.4) {
            h.push_str(&format!("Delivered-To: {}\n", m.group));
        }
        let helo = match client {
            Client::Gmail => format!(
                "mail-{}{}-f{}.out.gmail.example",
                ["ej1", "ed1", "wm1", "lf1"][self.rng.gen_range(0..4)],
                self.rng.gen_range(0..10),
                self.rng.gen_range(40..200)
            ),
            Client::Outlook => format!(
                "{}{}-{}-obe.outbound.protection.outlook.example",
                ["EUR", "NAM"][self.rng.gen_range(0..2)],
                self.rng.gen_range(1..6),
                ["VI1", "DB5", "AM6"][self.rng.gen_range(0..3)]
            ),
            _ => format!("smtp.{domain}"),
        };
        let ip = format!(
            "{}.{}.{}.{}",
            self.rng.gen_range(10..200),
            self.rng.gen_range(0..256),
            self.rng.gen_range(0..256),
            self.rng.gen_range(1..255)
        );
        let queue = self.hex(10, true);
        h.push_str(&format!(
            "Received: from {helo} ({helo} [{ip}])\n\tby mx{}.corp.example (Postfix) with ESMTPS id {queue}\n\tfor <{}>; {}\n",
            self.rng.gen_range(1..3),
            m.group,
            utc(m.date + 2)
        ));
        if self.rng.gen_bool(0.5) {
            let smtp_id = self.hex(16, false);
            h.push_str(&format!(
                "Received: by {helo} with SMTP id {smtp_id};\n        {}\n",
                utc(m.date + 1)
            ));
        }
        if self.rng.gen_bool(0.6) {
            let bh = mime::base64(&(0..32).map(|_| self.rng.random()).collect::<Vec<u8>>());
            let b = mime::base64(&(0..256).map(|_| self.rng.random()).collect::<Vec<u8>>());
            let b_lines: Vec<&str> = b
                .as_bytes()
                .chunks(72)
                .map(|c| std::str::from_utf8(c).unwrap())
                .collect();
            h.push_str(&format!(
                "DKIM-Signature: v=1; a=rsa-sha256; c=relaxed/relaxed; d={domain}; s=s{};\n\tt={}; h=from:to:cc:subject:date:message-id:mime-version;\n\tbh={bh};\n\tb={}\n",
                self.rng.gen_range(1..3),
                m.date,
                b_lines.join("\n\t ")
            ));
        }

        // Originator, recipients, subject.
        h.push_str(&format!(
            "From: {}\n",
            mime::mailbox(Some(&display), &email, b_enc)
        ));
        let to: Vec<String> = m.to.iter().map(|&r| self.rcpt_string(r)).collect();
        h.push_str(&mime::fold_list("To", &to));
        h.push('\n');
        if !m.cc.is_empty() {
            let cc: Vec<String> = m.cc.iter().map(|&r| self.rcpt_string(r)).collect();
            h.push_str(&mime::fold_list("CC", &cc));
            h.push('\n');
        }
        h.push_str(&format!(
            "Subject: {}\n",
            mime::unstructured(m.subject, b_enc)
        ));
        let date = if client == Client::Outlook && self.rng.gen_bool(0.5) {
            utc(m.date) // Exchange often stamps UTC
        } else {
            local_date.format("%a, %-d %b %Y %H:%M:%S %z").to_string()
        };
        h.push_str(&format!("Date: {date}\n"));
        h.push_str(&format!("Message-ID: <{}>\n", m.id));
        if let Some(irt) = m.in_reply_to {
            h.push_str(&format!("In-Reply-To: <{irt}>\n"));
        }
        if !m.references.is_empty() {
            let refs: Vec<String> = m.references.iter().map(|r| format!("<{r}>")).collect();
            h.push_str(&format!("References: {}\n", refs.join("\n ")));
        }
        if let Some(ti) = m.thread_index {
            h.push_str(&format!(
                "Thread-Topic: {}\n",
                mime::unstructured(m.thread_topic, b_enc)
            ));
            h.push_str(&format!("Thread-Index: {}\n", mime::base64(ti)));
        }
        match m.auto {
            Some(0) => h.push_str("Auto-Submitted: auto-replied\nX-Auto-Response-Suppress: All\n"),
            Some(1) => h.push_str("Auto-Submitted: auto-replied (vacation)\nPrecedence: bulk\n"),
            Some(_) => h.push_str("X-Autoreply: yes\nX-Autorespond: yes\n"),
            None => {}
        }
        match client {
            Client::Outlook => h.push_str(&format!(
                "Accept-Language: en-US, de-DE\nContent-Language: {}\nX-MS-Has-Attach: \nX-MS-TNEF-Correlator: \nx-originating-ip: [{ip}]\n",
                match self.people[m.author].lang {
                    Lang::De => "de-DE",
                    Lang::Fr => "fr-FR",
                    Lang::Ja => "ja-JP",
                    Lang::En => "en-US",
                }
            )),
            Client::AppleMail => h.push_str("X-Mailer: Apple Mail (2.3774.600.62)\n"),
            Client::IPhone => h.push_str("X-Mailer: iPhone Mail (21F90)\n"),
            Client::Thunderbird => h.push_str("User-Agent: Mozilla Thunderbird\n"),
            Client::Gmail => {}
        }
        h.push_str("MIME-Version: 1.0\n");

        // Body structure.
        let r = self.rng.gen_range(0..1000);
        let html_only = m.auto.is_none() && r < 20;
        let alternative = m.auto.is_none() && (20..70).contains(&r);
        let attachment = m.auto.is_none() && self.rng.gen_bool(0.03);
        let text_enc = self.pick_encoding(m.plain);
        // Outlook and Apple Mail send HTML quoted-printable; the others 8bit.
        let html_enc = match client {
            Client::Outlook | Client::AppleMail | Client::IPhone => Enc::QuotedPrintable,
            _ => Enc::EightBit,
        };
        let mut uses_qp = false;
        let mut uses_b64 = false;

        let text_part = |enc: Enc, ctype: &str, content: &str| -> String {
            format!(
                "Content-Type: {ctype}; charset=\"UTF-8\"\nContent-Transfer-Encoding: {}\n\n{}",
                enc.name(),
                enc.apply(content)
            )
        };
        let content: String = if html_only {
            uses_qp = html_enc == Enc::QuotedPrintable;
            self.stats.html_only += 1;
            text_part(html_enc, "text/html", &m.body.html(client))
        } else if alternative {
            uses_qp = html_enc == Enc::QuotedPrintable;
            uses_b64 |= text_enc == Enc::Base64;
            uses_qp |= text_enc == Enc::QuotedPrintable;
            self.stats.alternative += 1;
            let boundary = self.boundary(client);
            format!(
                "Content-Type: multipart/alternative; boundary=\"{boundary}\"\n\n--{boundary}\n{}\n--{boundary}\n{}\n--{boundary}--\n",
                text_part(text_enc, "text/plain", m.plain),
                text_part(html_enc, "text/html", &m.body.html(client)),
            )
        } else {
            uses_b64 |= text_enc == Enc::Base64;
            uses_qp |= text_enc == Enc::QuotedPrintable;
            text_part(text_enc, "text/plain", m.plain)
        };
        let content = if attachment {
            self.stats.attachments += 1;
            let boundary = self.boundary(client);
            let (name, ctype, data) = self.attachment_data();
            format!(
                "Content-Type: multipart/mixed; boundary=\"{boundary}\"\n\nThis is a multi-part message in MIME format.\n\n--{boundary}\n{content}\n--{boundary}\n\
                 Content-Type: {ctype}; name=\"{name}\"\nContent-Disposition: attachment; filename=\"{name}\"\nContent-Transfer-Encoding: base64\n\n{}\n--{boundary}--\n",
                mime::base64_body(&data)
            )
        } else {
            content
        };
        if uses_qp {
            self.stats.quoted_printable += 1;
        }
        if uses_b64 {
            self.stats.base64_text += 1;
        }
        h.push_str(&content);
        if self.rng.gen_bool(0.05) {
            self.stats.crlf += 1;
            h.replace('\n', "\r\n").into_bytes()
        } else {
            h.into_bytes()
        }
    }

    pub(crate) fn pick_encoding(&mut self, text: &str) -> Enc {
        let r: f64 = self.rng.random();
        if text.is_ascii() {
            if r < 0.03 {
                Enc::QuotedPrintable
            } else {
                Enc::SevenBit
            }
        } else if r < 0.08 {
            Enc::QuotedPrintable
        } else if r < 0.16 {
            Enc::Base64
        } else {
            Enc::EightBit
        }
    }

    pub(crate) fn boundary(&mut self, client: Client) -> String {
        match client {
            Client::Outlook => format!("_000_{}_", self.hex(40, true)),
            Client::Gmail => format!("000000000000{}", self.hex(16, false)),
            Client::AppleMail | Client::IPhone => format!(
                "Apple-Mail={}-{}-{}",
                self.hex(8, true),
                self.hex(4, true),
                self.hex(12, true)
            ),
            Client::Thunderbird => format!("------------{}", self.hex(24, true)),
        }
    }

    pub(crate) fn attachment_data(&mut self) -> (String, &'static str, Vec<u8>) {
        let size = self.rng.gen_range(600..3000);
        match self.rng.gen_range(0..3) {
            0 => {
                let mut data =
                    b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog >>\nendobj\n"
                        .to_vec();
                data.extend((0..size).map(|_| self.rng.random::<u8>()));
                data.extend_from_slice(b"\n%%EOF\n");
                (
                    format!("report-{}.pdf", self.rng.gen_range(1..100)),
                    "application/pdf",
                    data,
                )
            }
            1 => {
                let mut data = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR".to_vec();
                data.extend((0..size).map(|_| self.rng.random::<u8>()));
                ("screenshot.png".to_string(), "image/png", data)
            }
            _ => {
                let mut csv = String::from("date,region,signups,revenue\n");
                for i in 0..size / 30 {
                    csv.push_str(&format!(
                        "2024-{:02}-{:02},{},{},{}.{:02}\n",
                        i % 12 + 1,
                        i % 28 + 1,
                        ["EMEA", "AMER", "APAC"][i % 3],
                        self.rng.gen_range(10..500),
                        self.rng.gen_range(100..9000),
                        self.rng.gen_range(0..100)
                    ));
                }
                ("numbers.csv".to_string(), "text/csv", csv.into_bytes())
            }
        }
    }
}

pub(crate) struct RenderMail<'a> {
    pub(crate) author: usize,
    pub(crate) to: &'a [Rcpt],
    pub(crate) cc: &'a [Rcpt],
    pub(crate) subject: &'a str,
    pub(crate) date: i64,
    pub(crate) id: &'a str,
    pub(crate) in_reply_to: Option<&'a str>,
    pub(crate) references: &'a [String],
    pub(crate) thread_topic: &'a str,
    pub(crate) thread_index: Option<&'a [u8]>,
    pub(crate) body: &'a Body,
    pub(crate) plain: &'a str,
    /// Auto-reply header style (0: Auto-Submitted + X-Auto-Response-Suppress,
    /// 1: Auto-Submitted + Precedence, 2: X-Autoreply only).
    pub(crate) auto: Option<u8>,
    /// The group the mail is delivered to (trace headers).
    pub(crate) group: &'a str,
}
