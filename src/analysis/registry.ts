import type { Analysis } from './analysis.js';
import { histogramAnalysis } from '../report/histogram-analysis.js';
import { localErrorAnalysis } from '../localize/local-analysis.js';
import { headAnalysis } from '../detect/head-analysis.js';


/** Registered analyses, in the order they run. Add new ones here. */
export const ANALYSES: Analysis[] = [
  histogramAnalysis,
  localErrorAnalysis,
  headAnalysis,
];
