"""Topics the platforms share: model.py (TopicSpec, TopicSet, edits), discovery with BERTopic."""
