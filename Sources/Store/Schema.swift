import GRDB

/// The project database's versioned migrations. A migration, once released, is never edited: changes
/// come as new migrations appended below.
enum Schema {
    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1: images, classes, annotation history, models, predictions, jobs", migrate: v1)
        migrator.registerMigration("v2: embedding rows", migrate: v2)
        migrator.registerMigration("v3: prediction details, current model, image fields", migrate: v3)
        migrator.registerMigration("v4: labeling actions for undo and redo", migrate: v4)
        migrator.registerMigration("v5: labeling actions in batches", migrate: v5)
        migrator.registerMigration("v6: job owners", migrate: v6)
        return migrator
    }

    /// Images, classes, the append-only annotation history with the current label derived from it, and the
    /// tables the learning steps fill (models, predictions, jobs).
    private static func v1(_ db: Database) throws {
        try db.execute(sql: v1Tables)
    }

    /// v1's statements: one script, run as it was released.
    private static let v1Tables = """
        CREATE TABLE meta (
            key TEXT PRIMARY KEY NOT NULL,
            value TEXT NOT NULL
        );

        -- One row per image file found under the images root; `path` is relative to that root.
        CREATE TABLE image (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            path TEXT NOT NULL UNIQUE,
            hash TEXT,                 -- SHA-256 of the file's bytes, hex
            byteSize INTEGER NOT NULL,
            modifiedAt REAL NOT NULL,  -- file mtime, seconds since 1970
            format TEXT,               -- png | jpeg
            width INTEGER,
            height INTEGER,
            channels INTEGER,          -- of the decoded 8-bit pixels
            bitDepth INTEGER,          -- bits per sample in the file
            sourceColor TEXT,
            importedAt DATETIME NOT NULL,
            failure TEXT,              -- why it could not be decoded; NULL when it could
            missingSince DATETIME      -- set when the file vanished; its labels are kept
        );
        CREATE INDEX image_hash ON image(hash);

        CREATE TABLE class (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            name TEXT NOT NULL UNIQUE,
            parentId INTEGER REFERENCES class(id) ON DELETE SET NULL,
            createdAt DATETIME NOT NULL
        );

        -- Every label ever given, never updated or deleted. classId NULL withdraws a label.
        CREATE TABLE annotation (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            imageId INTEGER NOT NULL REFERENCES image(id) ON DELETE RESTRICT,
            classId INTEGER REFERENCES class(id) ON DELETE RESTRICT,
            status TEXT NOT NULL CHECK (status IN ('validated', 'predicted', 'dubious')),
            annotator TEXT NOT NULL,
            time DATETIME NOT NULL,
            source TEXT NOT NULL,      -- import | tui | cli | model:<id>
            confidence REAL            -- a model's calibrated probability, if any
        );
        CREATE INDEX annotation_image ON annotation(imageId, id);

        CREATE TRIGGER annotation_no_update BEFORE UPDATE ON annotation
        BEGIN SELECT RAISE(ABORT, 'annotations are append-only'); END;
        CREATE TRIGGER annotation_no_delete BEFORE DELETE ON annotation
        BEGIN SELECT RAISE(ABORT, 'annotations are append-only'); END;

        -- The current label of each image, derived from the history by the triggers below in the
        -- same transaction as the insert: the latest annotation wins, except that a `predicted`
        -- one never replaces a validated or dubious label.
        CREATE TABLE currentLabel (
            imageId INTEGER PRIMARY KEY REFERENCES image(id) ON DELETE CASCADE,
            annotationId INTEGER NOT NULL REFERENCES annotation(id),
            classId INTEGER NOT NULL REFERENCES class(id),
            status TEXT NOT NULL
        );
        CREATE INDEX currentLabel_class ON currentLabel(classId, status);

        CREATE TRIGGER annotation_sets_label AFTER INSERT ON annotation
        WHEN NEW.classId IS NOT NULL AND NEW.status != 'predicted'
        BEGIN
            INSERT INTO currentLabel (imageId, annotationId, classId, status)
            VALUES (NEW.imageId, NEW.id, NEW.classId, NEW.status)
            ON CONFLICT (imageId) DO UPDATE SET
                annotationId = excluded.annotationId, classId = excluded.classId, status = excluded.status;
        END;
        CREATE TRIGGER annotation_sets_prediction AFTER INSERT ON annotation
        WHEN NEW.classId IS NOT NULL AND NEW.status = 'predicted'
        BEGIN
            INSERT INTO currentLabel (imageId, annotationId, classId, status)
            VALUES (NEW.imageId, NEW.id, NEW.classId, NEW.status)
            ON CONFLICT (imageId) DO UPDATE SET
                annotationId = excluded.annotationId, classId = excluded.classId, status = excluded.status
            WHERE currentLabel.status = 'predicted';
        END;
        CREATE TRIGGER annotation_withdraws_label AFTER INSERT ON annotation
        WHEN NEW.classId IS NULL
        BEGIN
            DELETE FROM currentLabel WHERE imageId = NEW.imageId;
        END;

        -- Filled by the learning issues: trained models, their per-image predictions, background jobs.
        CREATE TABLE model (
            id TEXT PRIMARY KEY NOT NULL,
            kind TEXT NOT NULL,
            createdAt DATETIME NOT NULL,
            parameters TEXT NOT NULL DEFAULT '{}',  -- JSON
            metrics TEXT NOT NULL DEFAULT '{}'      -- JSON
        );
        CREATE TABLE prediction (
            imageId INTEGER NOT NULL REFERENCES image(id) ON DELETE CASCADE,
            modelId TEXT NOT NULL REFERENCES model(id) ON DELETE CASCADE,
            classId INTEGER NOT NULL REFERENCES class(id),
            confidence REAL NOT NULL,
            probabilities BLOB,                      -- float32 × classes, in class-id order
            createdAt DATETIME NOT NULL,
            PRIMARY KEY (imageId, modelId)
        );
        CREATE TABLE job (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            kind TEXT NOT NULL,
            state TEXT NOT NULL CHECK (state IN ('pending', 'running', 'done', 'failed', 'cancelled')),
            progress REAL NOT NULL DEFAULT 0,
            message TEXT,
            parameters TEXT NOT NULL DEFAULT '{}',
            createdAt DATETIME NOT NULL,
            startedAt DATETIME,
            finishedAt DATETIME,
            error TEXT
        );
        """

    /// Which row of a model's embeddings file holds which image.
    private static func v2(_ db: Database) throws {
        try db.execute(
            sql: """
                -- Row `row` of the file embeddings/<modelId>.f32 (float32, rows of the model's dimension)
                -- holds the L2-normalised embedding of `imageId`.
                CREATE TABLE embeddingRow (
                    modelId TEXT NOT NULL REFERENCES model(id) ON DELETE CASCADE,
                    imageId INTEGER NOT NULL REFERENCES image(id) ON DELETE CASCADE,
                    row INTEGER NOT NULL,
                    PRIMARY KEY (modelId, imageId)
                );
                CREATE UNIQUE INDEX embeddingRow_row ON embeddingRow(modelId, row);
                """)
    }

    /// A classifier's per-image prediction details, and metadata fields imported with the labels.
    private static func v3(_ db: Database) throws {
        try db.execute(
            sql: """
                -- A classifier's prediction for an image: `classId`/`confidence` are its top class and
                -- probability after prior correction; `top` holds up to 5 (int32 class id, float32
                -- probability) pairs, best first; the uncertainty scores are computed under the balanced
                -- prior the active-learning queue uses; `row` is the image's row of
                -- models/<modelId>.probs.f32 (the full calibrated posteriors under π_train).
                ALTER TABLE prediction ADD COLUMN top BLOB;
                ALTER TABLE prediction ADD COLUMN leastConfidence REAL;
                ALTER TABLE prediction ADD COLUMN margin REAL;
                ALTER TABLE prediction ADD COLUMN entropy REAL;
                ALTER TABLE prediction ADD COLUMN row INTEGER;
                CREATE INDEX prediction_model_margin ON prediction(modelId, margin);

                -- Metadata columns imported with the labels (sample, station, depth…): any text per image.
                CREATE TABLE imageField (
                    imageId INTEGER NOT NULL REFERENCES image(id) ON DELETE CASCADE,
                    name TEXT NOT NULL,
                    value TEXT NOT NULL,
                    PRIMARY KEY (imageId, name)
                );
                CREATE INDEX imageField_name ON imageField(name, value);
                """)
    }

    /// The labeling actions that undo and redo replay.
    private static func v4(_ db: Database) throws {
        try db.execute(
            sql: """
                -- What each labeling keystroke changed, so that undo and redo survive restarts. Undo appends
                -- an annotation that restores `before` (the history stays append-only) and marks the row
                -- undone; redo appends `after` again. A new action forgets the undone rows (the redo stack).
                CREATE TABLE labelAction (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    imageId INTEGER NOT NULL REFERENCES image(id),
                    beforeClass TEXT,          -- NULL: the image had no label
                    beforeStatus TEXT,
                    afterClass TEXT,           -- NULL: the action withdrew the label
                    afterStatus TEXT NOT NULL,
                    annotator TEXT NOT NULL,
                    time DATETIME NOT NULL,
                    undone INTEGER NOT NULL DEFAULT 0
                );
                """)
    }

    /// Labeling actions grouped in batches.
    private static func v5(_ db: Database) throws {
        // A bulk assignment is one keystroke: its actions share `batch` (the first action's id), and
        // undo or redo takes the whole batch.
        try db.execute(sql: "ALTER TABLE labelAction ADD COLUMN batch INTEGER")
    }

    /// Job owners and heartbeats.
    private static func v6(_ db: Database) throws {
        // A running job belongs to one process ("host:pid"), which refreshes `heartbeat`; a job whose
        // owner died is found by the next process that looks for work and marked failed.
        try db.execute(
            sql: """
                ALTER TABLE job ADD COLUMN owner TEXT;
                ALTER TABLE job ADD COLUMN heartbeat DATETIME;
                CREATE INDEX job_state ON job(state);
                """)
    }
}
