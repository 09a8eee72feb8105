package org.smtpdetect.event;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.ByteArrayInputStream;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class NdjsonLinesTest {

    private static List<String> read(String text, int chunk) throws IOException {
        InputStream in = new ByteArrayInputStream(text.getBytes(StandardCharsets.UTF_8));
        if (chunk > 0) {
            in = new FilterInputStream(in) {
                @Override
                public int read(byte[] b, int off, int len) throws IOException {
                    return super.read(b, off, Math.min(len, chunk));
                }
            };
        }
        NdjsonLines lines = new NdjsonLines(in);
        List<String> out = new ArrayList<>();
        while (lines.next()) {
            out.add(lines.lineNumber() + ":" + new String(lines.buffer(), lines.offset(), lines.length(), StandardCharsets.UTF_8));
        }
        return out;
    }

    @ParameterizedTest
    @ValueSource(ints = {0, 1, 3, 7})
    void splitsLinesWhateverTheReadSizes(int chunk) throws IOException {
        assertThat(read("a\r\nbb\n\nccc", chunk)).containsExactly("1:a", "2:bb", "3:", "4:ccc");
        assertThat(read("a\n", chunk)).containsExactly("1:a");
        assertThat(read("", chunk)).isEmpty();
        assertThat(read("\n\n", chunk)).containsExactly("1:", "2:");
    }

    @ParameterizedTest
    @ValueSource(ints = {0, 4093})
    void linesLongerThanTheBufferGrowIt(int chunk) throws IOException {
        String big = "x".repeat(200_000);
        assertThat(read("s\n" + big + "\ne", chunk)).containsExactly("1:s", "2:" + big, "3:e");
    }
}
