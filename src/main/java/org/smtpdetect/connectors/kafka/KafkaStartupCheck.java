package org.smtpdetect.connectors.kafka;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.DescribeClusterOptions;
import org.apache.kafka.common.Node;
import org.apache.kafka.common.errors.AuthenticationException;
import org.apache.kafka.common.errors.SaslAuthenticationException;
import org.apache.kafka.common.errors.SslAuthenticationException;
import org.apache.kafka.common.errors.TimeoutException;
import org.smtpdetect.config.JobOptions;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.Collection;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

/**
 * Before the job is submitted: the {@code kafka.property.*} names are known, the brokers answer and accept the
 * credentials. A failure is one line naming the bootstrap servers and the cause, so a typo in an address or a
 * wrong password never becomes a job that restarts forever.
 */
public final class KafkaStartupCheck {
    private static final Logger LOG = LoggerFactory.getLogger(KafkaStartupCheck.class);
    static final int TIMEOUT_MS = 15_000;

    private KafkaStartupCheck() {}

    /** Throws {@link IllegalArgumentException} with a one-line message when Kafka cannot be used. */
    public static void verify(JobOptions o) {
        KafkaClientProperties.validate(o);
        String servers = o.text("kafka.bootstrap-servers");
        long started = System.nanoTime();
        Properties p = KafkaClientProperties.admin(o);
        p.setProperty(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, Integer.toString(TIMEOUT_MS));
        p.setProperty(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, Integer.toString(TIMEOUT_MS));
        try (Admin admin = Admin.create(p)) {
            Collection<Node> nodes = admin.describeCluster(new DescribeClusterOptions().timeoutMs(TIMEOUT_MS)).nodes()
                    .get(TIMEOUT_MS + 1000, TimeUnit.MILLISECONDS);
            LOG.info("Kafka at {}: {} broker(s) answered in {} ms", servers, nodes.size(), (System.nanoTime() - started) / 1_000_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted checking Kafka at " + servers, e);
        } catch (Exception e) {
            throw new IllegalArgumentException("cannot use Kafka at " + servers + " (--kafka.bootstrap-servers): " + reason(e, TIMEOUT_MS), e);
        }
    }

    /** What went wrong talking to the brokers, in words an operator can act on; never a credential. */
    static String reason(Throwable e, int timeoutMs) {
        Throwable t = e;
        while ((t instanceof ExecutionException || t.getCause() != null && t.getMessage() != null
                && t.getMessage().startsWith("Failed to create new KafkaAdminClient")) && t.getCause() != null) {
            t = t.getCause();
        }
        if (t instanceof SaslAuthenticationException) {
            return "authentication failed (" + t.getMessage() + "); check kafka.property.sasl.jaas.config and sasl.mechanism";
        }
        if (t instanceof SslAuthenticationException) {
            return "TLS handshake failed (" + root(t).getMessage() + "); check kafka.property.ssl.truststore.* holds the CA of the brokers' certificates";
        }
        if (t instanceof AuthenticationException) return "authentication failed (" + t.getMessage() + ")";
        if (t instanceof TimeoutException || t instanceof java.util.concurrent.TimeoutException) {
            return "no broker answered within " + timeoutMs / 1000 + " s; check the address, the port and kafka.property.security.protocol";
        }
        return t.getMessage() == null ? t.getClass().getSimpleName() : t.getMessage();
    }

    private static Throwable root(Throwable t) {
        while (t.getCause() != null && t.getCause() != t) t = t.getCause();
        return t;
    }
}
