// Importing a corrected survey (Shapefile zip, GeoPackage, GeoJSON, KML, CSV) through the ingest
// preview: the file's features are matched to the park's records by code (or another field), drawn
// on the map by what they become (update, create, unchanged) and counted, before anything is written;
// then the upsert job writes them — as a changeset for review where the park's edits need approval.
import { BusyButton, ErrorNote, FileInput, fill, html, useState } from '../staff/kit.js';

const POLL_MS = 1000;

export function ImportPanel({ c, api, layer, matchFields, onPreview, onDone, say }) {
  const [file, setFile] = useState(null);
  const [match, setMatch] = useState(matchFields[0] || 'code');
  const [preview, setPreview] = useState(null);
  const [job, setJob] = useState(null);
  const [error, setError] = useState(null);
  const options = () => JSON.stringify({ mode: 'upsert', match_field: match });
  const read = async (picked) => {
    setError(null);
    setFile(picked);
    setJob(null);
    try {
      const { data } = await api.upload(c.ingestPreviewApi, { file: picked, layer, options: options() });
      setPreview(data.preview);
      onPreview(previewCollection(data.preview));
    } catch (err) {
      setPreview(null);
      setError(err);
    }
  };
  const commit = async () => {
    setError(null);
    try {
      const { data } = await api.upload(c.ingestApi, { file, layer, options: options() });
      setJob(data);
      await follow(data.url);
    } catch (err) {
      setError(err);
    }
  };
  const follow = async (url) => {
    for (;;) {
      const current = await api.get(url);
      setJob(current);
      if (['succeeded', 'failed', 'cancelled'].includes(current.status)) {
        if (current.status === 'succeeded') {
          say(c.text.importDone);
          onDone(current);
        }
        return;
      }
      await new Promise((r) => setTimeout(r, POLL_MS));
    }
  };
  const counts = preview && preview.counts;
  return html`<section class="import">
    <p class="muted">${c.text.importHelp}</p>
    <label class="inline">${c.text.matchBy}
      <select name="match_field" value=${match} onChange=${(e) => setMatch(e.currentTarget.value)}>
        ${matchFields.map((name) => html`<option value=${name}>${c.fieldLabels[layer]?.[name] || name}</option>`)}
      </select>
    </label>
    <${FileInput} label=${c.text.chooseFile} name="file" accept=".zip,.gpkg,.geojson,.json,.kml,.kmz,.csv" onFile=${read} />
    <${ErrorNote} error=${error} />
    ${counts
      ? html`<p class="import-counts" data-create=${counts.create} data-update=${counts.update} data-unchanged=${counts.unchanged}>
          ${fill(c.text.importCounts, counts)}</p>
          <${BusyButton} className="primary commit" label=${c.text.importCommit} busyLabel=${c.text.sending}
            disabled=${!!job || !(counts.create || counts.update)} onClick=${commit} />`
      : null}
    ${job ? html`<p class="job" data-status=${job.status}>${c.labels.jobStates[job.status] || job.status} · ${job.progress || 0}%
      ${job.error ? html`<span class="error">${job.error}</span>` : null}</p>` : null}
  </section>`;
}

/** The preview's features as a collection the map colours by ``action``. */
function previewCollection(preview) {
  const features = (preview.features || [])
    .filter((f) => f.geometry)
    .map((f) => ({ type: 'Feature', geometry: f.geometry, properties: { action: (f.match && f.match.action) || 'create' } }));
  return { type: 'FeatureCollection', features };
}
