"""The processes of the model, one module each, each a function over the state arrays.

Each is described in docs/ODD.md, 7 Submodels.

Order within a step (see ``WordOfMouthModel.step`` and docs/ODD.md): broadcast, fan page
(each brand in turn), purchase (category occasion, consulting the record, brand choice),
experience, word of mouth, public record (read, then post; then a scandal's posts), dialogue
(each brand), forgetting, NPS survey.
Within each process every consumer acts on the same snapshot and the changes are applied
together (synchronous update).
"""

from simulation.core.processes.broadcast import broadcast, exposure_response
from simulation.core.processes.consult import consult_record, consults, most_visible
from simulation.core.processes.dialogue import Replies, dialogue
from simulation.core.processes.events import (
    experienced_qualities,
    reactance_threshold,
    scandal_posts,
    scandal_trust_shock,
)
from simulation.core.processes.experience import experience
from simulation.core.processes.fanpage import fanpage
from simulation.core.processes.forgetting import forget
from simulation.core.processes.influence import social_influence
from simulation.core.processes.public_record import (
    PublicRecord,
    RecordTotals,
    post_publicly,
    reach_scale,
    read_posts,
    read_public_record,
)
from simulation.core.processes.purchase import (
    Purchases,
    brand_utility,
    choice_probabilities,
    purchase,
)
from simulation.core.processes.survey import Survey, net_promoter, nps_survey
from simulation.core.processes.word_of_mouth import choose_talkers, talk_probability, talk_topic, word_of_mouth

__all__ = [
    "PublicRecord",
    "Purchases",
    "RecordTotals",
    "Replies",
    "Survey",
    "brand_utility",
    "choice_probabilities",
    "net_promoter",
    "nps_survey",
    "talk_topic",
    "broadcast",
    "choose_talkers",
    "consult_record",
    "consults",
    "dialogue",
    "experience",
    "experienced_qualities",
    "exposure_response",
    "fanpage",
    "forget",
    "most_visible",
    "post_publicly",
    "purchase",
    "reach_scale",
    "reactance_threshold",
    "read_posts",
    "read_public_record",
    "scandal_posts",
    "scandal_trust_shock",
    "social_influence",
    "talk_probability",
    "word_of_mouth",
]
