// MapLibre GL JS as a bundle of its own (static-build/web/staff-map.js and .css): the project page
// loads it only once it has sites or carriers to draw, so the page's checklist and action bar do
// not wait for 800 kB of map code on a phone.
import maplibregl from 'maplibre-gl';
import 'maplibre-gl/dist/maplibre-gl.css';

window.GeoportalMapLibre = maplibregl;
