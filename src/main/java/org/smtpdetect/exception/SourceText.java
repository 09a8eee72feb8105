package org.smtpdetect.exception;

import java.io.Serializable;
import java.util.Objects;

/** One file as read: its path (as given), a name (for value lists, the list id) and its text. Flink POJO. */
public class SourceText implements Serializable {
    private static final long serialVersionUID = 1L;

    public String name;
    public String path;
    public String text;

    public SourceText() {}

    public SourceText(String name, String path, String text) {
        this.name = name;
        this.path = path;
        this.text = text;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof SourceText t && Objects.equals(name, t.name) && Objects.equals(path, t.path) && Objects.equals(text, t.text);
    }

    @Override
    public int hashCode() {
        return Objects.hash(name, path, text);
    }
}
