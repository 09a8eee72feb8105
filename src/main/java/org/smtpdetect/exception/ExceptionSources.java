package org.smtpdetect.exception;

import java.io.IOException;
import java.io.Serializable;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The exception files and the value lists they reference, as read at one moment: the text the job compiles
 * ({@link ExceptionSet#compile}) and ships to its operators. {@link #digest} identifies the content, so a reader
 * polling the files can tell a change. Flink POJO.
 */
public class ExceptionSources implements Serializable {
    private static final long serialVersionUID = 1L;

    /** The exception files, in the order given. */
    public SourceText[] files = new SourceText[0];
    /** The value-list directory as given, or null. */
    public String valueListDirectory;
    /** The value lists the files reference; {@link SourceText#name} is the list id. */
    public SourceText[] valueLists = new SourceText[0];
    /** SHA-256 of everything above. */
    public String digest;

    public ExceptionSources() {}

    /** No exception files: nothing is excepted. */
    public static ExceptionSources none() {
        ExceptionSources s = new ExceptionSources();
        s.digest = digestOf(s);
        return s;
    }

    public boolean isEmpty() {
        return files.length == 0;
    }

    /**
     * Reads the exception files and, from {@code valueListDirectory} (may be null), the value lists their
     * {@code list} entries reference: {@code <list id>.txt} or {@code <list id>}. Fails naming the file (and
     * line and field) when a file cannot be read or parsed, or a referenced value list has no file.
     */
    public static ExceptionSources read(List<Path> files, Path valueListDirectory) {
        ExceptionSources s = new ExceptionSources();
        List<SourceText> texts = new ArrayList<>();
        Map<String, SourceText> lists = new LinkedHashMap<>();
        for (Path file : files) {
            SourceText text = new SourceText(file.getFileName().toString(), file.toString(), readText(file, "exceptions file"));
            texts.add(text);
            for (ExceptionList list : ExceptionFiles.parse(text.path, text.text)) {
                for (ExceptionItem item : list.items()) {
                    for (Entry e : item.entries()) {
                        if (!(e instanceof Entry.InList in) || lists.containsKey(in.listId())) continue;
                        if (valueListDirectory == null) {
                            throw new ExceptionFormatException(in.at() + ": references value list '" + in.listId()
                                    + "': give the directory of value-list files with --value-lists");
                        }
                        Path listFile = valueListFile(valueListDirectory, in.listId());
                        if (listFile == null) {
                            throw new ExceptionFormatException(in.at() + ": value list '" + in.listId() + "' has no file "
                                    + in.listId() + ".txt in " + valueListDirectory + " (value-list files are named after the list id)");
                        }
                        lists.put(in.listId(), new SourceText(in.listId(), listFile.toString(), readText(listFile, "value-list file")));
                    }
                }
            }
        }
        s.files = texts.toArray(new SourceText[0]);
        s.valueListDirectory = valueListDirectory == null ? null : valueListDirectory.toString();
        s.valueLists = lists.values().toArray(new SourceText[0]);
        s.digest = digestOf(s);
        return s;
    }

    private static Path valueListFile(Path dir, String listId) {
        for (Path p : List.of(dir.resolve(listId + ".txt"), dir.resolve(listId))) {
            if (Files.isRegularFile(p)) return p;
        }
        return null;
    }

    private static String readText(Path file, String what) {
        try {
            return StandardCharsets.UTF_8.newDecoder().decode(ByteBuffer.wrap(Files.readAllBytes(file))).toString();
        } catch (CharacterCodingException e) {
            throw new ExceptionFormatException(file + ": " + what + " is not UTF-8 text");
        } catch (NoSuchFileException e) {
            throw new ExceptionFormatException(file + ": no such " + what);
        } catch (IOException e) {
            throw new ExceptionFormatException(file + ": cannot read " + what + ": " + e.getMessage(), e);
        }
    }

    private static String digestOf(ExceptionSources s) {
        try {
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            for (SourceText t : s.files) update(sha, "file", t);
            update(sha, "dir", new SourceText(null, s.valueListDirectory, null));
            for (SourceText t : s.valueLists) update(sha, "list", t);
            return HexFormat.of().formatHex(sha.digest());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static void update(MessageDigest sha, String kind, SourceText t) {
        for (String part : new String[] {kind, t.name, t.path, t.text}) {
            byte[] b = part == null ? new byte[] {1} : part.getBytes(StandardCharsets.UTF_8);
            sha.update(Integer.toString(b.length).getBytes(StandardCharsets.UTF_8));
            sha.update((byte) ':');
            sha.update(b);
        }
    }
}
