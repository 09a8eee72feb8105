package org.smtpdetect;

import org.smtpdetect.cli.CheckCommand;

/**
 * Entry point of the jar. {@code check ...} runs the rule tester, which needs no Flink; anything else runs the
 * detection job (on an embedded Flink when started outside a cluster).
 */
public final class Main {
    private Main() {}

    public static void main(String[] args) throws Exception {
        if (args.length > 0 && args[0].equals("check")) {
            String[] rest = new String[args.length - 1];
            System.arraycopy(args, 1, rest, 0, rest.length);
            System.exit(CheckCommand.run(rest, System.in, System.out, System.err));
        }
        // Loaded by name so that 'check' never touches Flink classes.
        Class.forName("org.smtpdetect.job.DetectionJob").getMethod("main", String[].class).invoke(null, (Object) args);
    }
}
