package org.gbmixed.model;

import org.gbmixed.Config;
import org.gbmixed.GBMixed;
import org.gbmixed.Problems;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The versioned model file: round trips, the same bytes back, clear refusals. */
class ModelFileTest {

    private static Model sleepModel() {
        Problems.Sleep s = Problems.sleepstudy();
        double[] z = new double[s.n], w = new double[s.n];
        Arrays.fill(z, 1.0);
        Arrays.fill(w, 1.0);
        Config c = Problems.config().nrounds(20).learningRate(0.2).minLeaf(10).build();
        return GBMixed.fit(s.days.clone(), s.n, 1, new int[] {0}, s.reaction, w, s.subject, 18, z, 1, false, c);
    }

    @Test
    void roundTripKeepsTheModelAndTheEntries(@TempDir Path dir) throws Exception {
        Model m = sleepModel();
        byte[] r = {1, 2, 3, 0, -1};
        ModelFile f = new ModelFile(m).with("r.gbmixed", r).with("note", "sleepstudy, 20 rounds");
        Path p = dir.resolve("sleep.gbm");
        f.write(p.toString());
        ModelFile g = ModelFile.read(p.toString());
        assertArrayEquals(new String[] {"r.gbmixed", "note"}, g.keys());
        assertArrayEquals(r, g.get("r.gbmixed"));
        assertEquals("sleepstudy, 20 rounds", g.getString("note"));
        assertNull(g.get("absent"));
        // predictions of the model read equal those of the model written, for a training and a new cluster
        double[] x = {0, 5, 9}, z = {1, 1, 1};
        int[] cl = {0, 3, -1};
        assertArrayEquals(m.predict(x, 3, cl, z), g.model().predict(x, 3, cl, z), 0.0);
        assertArrayEquals(m.ranef(), g.model().ranef(), 0.0);
        assertEquals(m.logLik(), g.model().logLik(), 0.0);
        // what is read is written back byte for byte (a Java caller passing an R file on keeps it R's)
        byte[] bytes = Files.readAllBytes(p);
        assertArrayEquals(bytes, g.toBytes());
        assertArrayEquals(bytes, ModelFile.fromBytes(bytes).toBytes());
        // the layout of the class comment: magic, version, model length and the model's own bytes
        ByteBuffer bb = ByteBuffer.wrap(bytes);
        assertEquals(0x47424D46, bb.getInt());
        assertEquals(ModelFile.VERSION, bb.getInt());
        byte[] mb = m.toBytes();
        assertEquals(mb.length, bb.getInt());
        assertArrayEquals(mb, Arrays.copyOfRange(bytes, 12, 12 + mb.length));
        assertEquals(2, ByteBuffer.wrap(bytes, 12 + mb.length, 4).getInt());
        // a key set twice keeps the last value, in its first place
        ModelFile h = f.with("r.gbmixed", new byte[] {9});
        assertArrayEquals(new String[] {"r.gbmixed", "note"}, h.keys());
        assertArrayEquals(new byte[] {9}, h.get("r.gbmixed"));
        assertArrayEquals(r, f.get("r.gbmixed"), "the file it came from is unchanged");
    }

    @Test
    void otherFilesNewerVersionsAndTruncationAreRefused() {
        byte[] ok = new ModelFile(sleepModel()).with("k", "v").toBytes();
        byte[] newer = ok.clone();
        ByteBuffer.wrap(newer).putInt(4, ModelFile.VERSION + 1);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ModelFile.fromBytes(newer));
        assertTrue(e.getMessage().contains("version 2 was written by a newer gbmixed")
                && e.getMessage().contains("reads versions up to 1: update gbmixed"), e.getMessage());
        // a model of a newer format inside a current file
        byte[] newerModel = ok.clone();
        ByteBuffer.wrap(newerModel).putInt(16, 99);
        e = assertThrows(IllegalArgumentException.class, () -> ModelFile.fromBytes(newerModel));
        assertTrue(e.getMessage().contains("model format 99 was written by a newer gbmixed"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> ModelFile.fromBytes("not a model file at all".getBytes(StandardCharsets.UTF_8)));
        assertTrue(e.getMessage().contains("not a gbmixed model file"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> ModelFile.fromBytes(Arrays.copyOf(ok, ok.length - 1)));
        assertTrue(e.getMessage().startsWith("model file: corrupt or truncated"), e.getMessage());
        byte[] longer = Arrays.copyOf(ok, ok.length + 3);
        e = assertThrows(IllegalArgumentException.class, () -> ModelFile.fromBytes(longer));
        assertTrue(e.getMessage().contains("3 bytes after the last entry"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new ModelFile(sleepModel()).with("", "v"));
    }
}
