package org.example.herald.attachments;

import org.junit.jupiter.api.Test;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The MIME reading on its own: parameters (RFC 2045, 2231), encoded words (RFC 2047), structure. */
class AttachmentScannerTest {

    static List<AttachmentScanner.Part> scan(String message) throws Exception {
        return new AttachmentScanner(10, 100).scan(new ByteArrayInputStream(message.getBytes(StandardCharsets.UTF_8)));
    }

    @Test
    void parameters() {
        assertThat(AttachmentScanner.parameters("Multipart/Mixed; boundary=\"a;b\"; x=1"))
                .containsEntry("", "multipart/mixed").containsEntry("boundary", "a;b").containsEntry("x", "1");
        assertThat(AttachmentScanner.parameters("attachment; filename*=iso-8859-1'de'M%E4rz.exe")).containsEntry("filename", "März.exe");
        assertThat(AttachmentScanner.parameters("attachment; filename*0=\"a\"; filename*2=\"c.exe\"; filename*1=\"b\""))
                .containsEntry("filename", "abc.exe");
        assertThat(AttachmentScanner.parameters("inline; filename=\"quote\\\"d.txt\"")).containsEntry("filename", "quote\"d.txt");
    }

    @Test
    void encodedWords() {
        assertThat(AttachmentScanner.decodeWords("=?iso-8859-1?Q?M=E4rz_2026.pdf?=")).isEqualTo("März 2026.pdf");
        assertThat(AttachmentScanner.decodeWords("=?UTF-8?B?YS5l?= =?UTF-8?B?eGU=?=")).isEqualTo("a.exe");
        assertThat(AttachmentScanner.decodeWords("plain.txt")).isEqualTo("plain.txt");
        assertThat(AttachmentScanner.decodeWords("=?no-such-charset?Q?x?=")).isEqualTo("=?no-such-charset?Q?x?=");
    }

    @Test
    void structureWithAMissingClosingBoundaryAndAnOuterBoundaryClosingAnInnerPart() throws Exception {
        String m = "Content-Type: multipart/mixed; boundary=outer\r\n\r\n"
                + "--outer\r\nContent-Type: multipart/alternative; boundary=inner\r\n\r\n"
                + "--inner\r\nContent-Type: text/plain\r\n\r\nhi\r\n"
                + "--outer\r\nContent-Type: image/png; name=a.png\r\n\r\nxxx\r\n";
        List<AttachmentScanner.Part> parts = scan(m);
        assertThat(parts).extracting(AttachmentScanner.Part::contentType)
                .containsExactly("multipart/mixed", "multipart/alternative", "text/plain", "image/png");
        assertThat(parts.get(3).filename()).isEqualTo(Optional.of("a.png"));
        assertThat(parts.get(3).depth()).isEqualTo(1);
    }

    @Test
    void aMessageWithoutMimeIsOneTextPart() throws Exception {
        assertThat(scan("Subject: hi\r\n\r\n--not a boundary\r\n")).singleElement()
                .satisfies(p -> assertThat(p.contentType()).isEqualTo("text/plain"));
    }

    @Test
    void tooManyParts() {
        StringBuilder m = new StringBuilder("Content-Type: multipart/mixed; boundary=b\r\n\r\n");
        for (int i = 0; i < 200; i++) m.append("--b\r\nContent-Type: text/plain\r\n\r\nx\r\n");
        assertThatThrownBy(() -> scan(m.toString())).isInstanceOf(AttachmentScanner.TooComplexException.class)
                .hasMessageContaining("more than 100");
    }
}
