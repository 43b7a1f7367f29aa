"""Chapter 06's library: probing and concepts (``from helpers.lib import ch06 as lib``).

- ``_probing``: the conventions every probing exercise states (:func:`probe_estimator`:
  standardisation then ``LogisticRegression(C=PROBE_C, max_iter=PROBE_MAX_ITER)``; the folds,
  ``StratifiedKFold(PROBE_FOLDS, shuffle=True, random_state)`` on the task labels), the probing images
  (:func:`probe_images`, watermarks drawn at random so that pattern and class are independent), the
  per-layer summaries the probes read (:func:`summarise`), Hewitt & Liang's control task
  (:func:`control_labels`), a randomly initialised copy of a model (:func:`random_copy`), the
  transformer's texts (:func:`text_data`), the references :func:`capture_activations` and
  :func:`probe_layers`, and decodable vs used (:func:`inlp_directions`, :func:`predictions_without`,
  drill D6's images :func:`d6_setup`). :func:`one_blas_thread` keeps the many small fits fast.
- ``_tcav``: the CAV classifier (:func:`cav_estimator`), the references :func:`tcav_score` and
  :func:`tcav_significance`, the chapter's experiment over many random concepts
  (:func:`tcav_experiment`), the watermark concept (:func:`watermark_concept`) and captum's TCAV on the
  same CAVs (:class:`LogisticCAV`, :func:`captum_tcav`).
- ``_concepts``: concept bottleneck models (:mod:`helpers.models.cbm`): a test set with its true
  concepts (:func:`concept_data`), interventions through a hook on the bottleneck
  (:func:`predict_with`) and the intervention curve (:func:`intervention_curve`).
- ``_beds``: the checks' test beds (:func:`linear_net`, :func:`random_cnn`, :func:`random_inputs`,
  :func:`probe_bed`).
"""

from ._beds import FailingCNN, LinearNet, PlantedFailure, failing_cnn, linear_net, probe_bed, random_cnn, random_inputs
from ._concepts import (
    ConceptData,
    concept_data,
    concept_probabilities,
    intervention_curve,
    predict_with,
    true_concepts,
    uncertainty_order,
)
from ._probing import (
    CNN_LAYERS,
    N_PROBE,
    POOL_GRID,
    PROBE_C,
    PROBE_FOLDS,
    PROBE_MAX_ITER,
    RENDERINGS,
    TEXT_LAYERS,
    WATERMARK_READ,
    D6Setup,
    ProbeImages,
    TextData,
    _capture,
    _cv_accuracy,
    _folds,
    _pooled,
    _probe_layers,
    capture_activations,
    control_labels,
    d6_setup,
    image_batch,
    inlp_directions,
    one_blas_thread,
    predictions_without,
    probe_directions,
    probe_estimator,
    probe_images,
    probe_layers,
    random_copy,
    summarise,
    text_data,
)
from ._tcav import (
    CAV_C,
    N_CONCEPT,
    N_RANDOM_CONCEPTS,
    TCAV_LAYERS,
    LogisticCAV,
    _cav,
    _fit_cav,
    _layer_gradient,
    _significance,
    _tcav,
    captum_tcav,
    cav_estimator,
    tcav_experiment,
    tcav_score,
    tcav_significance,
    watermark_concept,
)

__all__ = ["CAV_C", "CNN_LAYERS", "N_CONCEPT", "N_PROBE", "N_RANDOM_CONCEPTS", "POOL_GRID", "PROBE_C",
           "PROBE_FOLDS", "PROBE_MAX_ITER", "RENDERINGS", "TCAV_LAYERS", "TEXT_LAYERS", "WATERMARK_READ",
           "ConceptData", "D6Setup", "FailingCNN", "LinearNet", "PlantedFailure", "LogisticCAV", "ProbeImages", "TextData", "capture_activations",
           "captum_tcav", "cav_estimator", "concept_data", "concept_probabilities", "control_labels", "d6_setup",
           "failing_cnn", "image_batch", "inlp_directions", "intervention_curve", "linear_net", "one_blas_thread", "predict_with",
           "predictions_without", "probe_bed", "probe_directions", "probe_estimator", "probe_images",
           "probe_layers", "random_cnn", "random_copy", "random_inputs", "summarise", "tcav_experiment",
           "tcav_score", "tcav_significance", "text_data", "true_concepts", "uncertainty_order",
           "watermark_concept", "_capture", "_cav", "_cv_accuracy", "_fit_cav", "_folds", "_layer_gradient",
           "_pooled", "_probe_layers", "_significance", "_tcav"]
