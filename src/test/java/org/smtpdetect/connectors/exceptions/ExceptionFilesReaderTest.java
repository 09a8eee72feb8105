package org.smtpdetect.connectors.exceptions;

import org.apache.flink.api.common.eventtime.Watermark;
import org.apache.flink.api.connector.source.ReaderOutput;
import org.apache.flink.api.connector.source.SourceReader;
import org.apache.flink.api.connector.source.SourceReaderContext;
import org.apache.flink.core.io.InputStatus;
import org.apache.logging.log4j.Level;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.core.LogEvent;
import org.apache.logging.log4j.core.LoggerContext;
import org.apache.logging.log4j.core.appender.AbstractAppender;
import org.apache.logging.log4j.core.config.LoggerConfig;
import org.apache.logging.log4j.core.config.Property;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.smtpdetect.exception.ExceptionSources;
import org.smtpdetect.exception.KibanaExport;
import org.smtpdetect.rule.RuleLoader;

import java.lang.reflect.Proxy;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/** The exceptions source's reader: emits a version per change, keeps the last good one and says so once. */
class ExceptionFilesReaderTest {
    @TempDir
    Path dir;

    private final List<String> log = new CopyOnWriteArrayList<>();
    private final List<ExceptionsVersion> emitted = new ArrayList<>();
    private final List<String> watermarkEvents = new ArrayList<>();
    private int splitRequests;
    private AbstractAppender appender;

    @BeforeEach
    void captureLog() {
        appender = new AbstractAppender("capture", null, null, true, Property.EMPTY_ARRAY) {
            @Override
            public void append(LogEvent event) {
                log.add(event.getLevel() + " " + event.getMessage().getFormattedMessage());
            }
        };
        appender.start();
        LoggerContext context = (LoggerContext) LogManager.getContext(false);
        LoggerConfig config = new LoggerConfig(ExceptionFilesReader.class.getName(), Level.INFO, false);
        config.addAppender(appender, Level.INFO, null);
        context.getConfiguration().addLogger(ExceptionFilesReader.class.getName(), config);
        context.updateLoggers();
    }

    @AfterEach
    void releaseLog() {
        LoggerContext context = (LoggerContext) LogManager.getContext(false);
        context.getConfiguration().removeLogger(ExceptionFilesReader.class.getName());
        context.updateLoggers();
        appender.stop();
    }

    private Path write(String host) {
        return KibanaExport.write(dir.resolve("relays.ndjson"), "relays", "Relays", List.of(
                "{\"item_id\":\"i\",\"list_id\":\"relays\",\"name\":\"n\",\"type\":\"simple\",\"entries\":[{\"field\":\"host.name\","
                        + "\"operator\":\"included\",\"type\":\"match\",\"value\":\"" + host + "\"}]}"));
    }

    private SourceReader<ExceptionsVersion, ExceptionFilesSplit> reader(ExceptionFilesSource source) {
        SourceReaderContext context = (SourceReaderContext) Proxy.newProxyInstance(getClass().getClassLoader(),
                new Class<?>[] {SourceReaderContext.class}, (proxy, method, args) -> {
                    if (method.getName().equals("sendSplitRequest")) splitRequests++;
                    return null;
                });
        return source.createReader(context);
    }

    @SuppressWarnings("unchecked")
    private InputStatus poll(SourceReader<ExceptionsVersion, ExceptionFilesSplit> reader) throws Exception {
        reader.isAvailable().get(10, TimeUnit.SECONDS);
        ReaderOutput<ExceptionsVersion> output = (ReaderOutput<ExceptionsVersion>) Proxy.newProxyInstance(getClass().getClassLoader(),
                new Class<?>[] {ReaderOutput.class}, (proxy, method, args) -> {
                    if (method.getName().equals("collect")) emitted.add((ExceptionsVersion) args[0]);
                    if (method.getName().equals("emitWatermark")) watermarkEvents.add("watermark " + ((Watermark) args[0]).getTimestamp());
                    if (method.getName().equals("markIdle") || method.getName().equals("markActive")) watermarkEvents.add(method.getName());
                    return null;
                });
        return reader.pollNext(output);
    }

    private ExceptionFilesSource.Settings settings(Path file, ExceptionSources initial) {
        return new ExceptionFilesSource.Settings(List.of(file.toString()), null, Duration.ofMillis(5),
                List.of(RuleLoader.loadDefault()), initial.digest);
    }

    @Test
    void emitsEachChangeKeepsTheLastGoodVersionAndReportsABrokenFileOnce() throws Exception {
        Path file = write("relay-1");
        ExceptionSources initial = ExceptionSources.read(List.of(file), null);
        SourceReader<ExceptionsVersion, ExceptionFilesSplit> reader = reader(ExceptionFilesSource.watching(settings(file, initial)));
        reader.start();
        assertThat(splitRequests).isEqualTo(1);
        reader.addSplits(List.of(new ExceptionFilesSplit(0, initial.digest)));

        poll(reader);
        assertThat(watermarkEvents).as("versions carry no event time").containsExactly("markIdle");
        assertThat(emitted).singleElement().satisfies(v -> {
            assertThat(v.number).isZero();
            assertThat(v.digest()).isEqualTo(initial.digest);
        });
        poll(reader);
        assertThat(emitted).hasSize(1);

        Files.writeString(file, "{\"list_id\":\"relays\"}\n{\"item_id\": broken\n");
        for (int i = 0; i < 5; i++) assertThat(poll(reader)).isEqualTo(InputStatus.NOTHING_AVAILABLE);
        assertThat(emitted).hasSize(1);
        assertThat(log).filteredOn(l -> l.startsWith("ERROR")).singleElement().asString()
                .contains("version 0 stays in force").contains("relays.ndjson:2: not valid JSON");

        write("relay-2");
        poll(reader);
        assertThat(emitted).hasSize(2);
        assertThat(emitted.get(1).number).isEqualTo(1);
        assertThat(emitted.get(1).sources.files[0].text).contains("relay-2");
        assertThat(log).anySatisfy(l -> assertThat(l).startsWith("INFO").contains("compile again"))
                .anySatisfy(l -> assertThat(l).startsWith("INFO").contains("version 1 read (1 list, 1 item, 0 value lists)"));

        List<ExceptionFilesSplit> state = reader.snapshotState(7);
        reader.close();
        assertThat(state).singleElement().satisfies(s -> assertThat(s.number).isEqualTo(1));

        // Restored: the checkpointed version is sent again first (the operators keep it), then changes go on from 1.
        SourceReader<ExceptionsVersion, ExceptionFilesSplit> restored = reader(ExceptionFilesSource.watching(settings(file, initial)));
        restored.addSplits(state);
        restored.start();
        assertThat(splitRequests).as("a restored reader has its split").isEqualTo(1);
        poll(restored);
        assertThat(emitted).hasSize(3);
        assertThat(emitted.get(2).number).isEqualTo(1);
        write("relay-3");
        poll(restored);
        assertThat(emitted.get(3).number).isEqualTo(2);
        restored.close();
    }

    @Test
    void aFileThatNoLongerCompilesForTheRulesIsABrokenFileToo() throws Exception {
        Path file = write("relay-1");
        ExceptionSources initial = ExceptionSources.read(List.of(file), null);
        SourceReader<ExceptionsVersion, ExceptionFilesSplit> reader = reader(ExceptionFilesSource.watching(settings(file, initial)));
        reader.addSplits(List.of(new ExceptionFilesSplit(0, initial.digest)));
        reader.start();
        poll(reader);
        Files.writeString(file, Files.readString(file).replace("\"host.name\"", "\"source.ip\"")); // "relay-1" is no IP
        poll(reader);
        poll(reader);
        assertThat(emitted).hasSize(1);
        assertThat(log).filteredOn(l -> l.startsWith("ERROR")).singleElement().asString()
                .contains("field 'value': 'relay-1' is not an IP address");
        reader.close();
    }

    @Test
    void boundedItEndsWithoutReadingAnything() throws Exception {
        Path file = write("relay-1");
        ExceptionSources initial = ExceptionSources.read(List.of(file), null);
        SourceReader<ExceptionsVersion, ExceptionFilesSplit> reader = reader(ExceptionFilesSource.fixed(settings(file, initial)));
        reader.start();
        reader.notifyNoMoreSplits();
        assertThat(poll(reader)).isEqualTo(InputStatus.END_OF_INPUT);
        assertThat(emitted).isEmpty();
        assertThat(watermarkEvents).containsExactly("markIdle");
        reader.close();
    }
}
