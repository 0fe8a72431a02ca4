"""Reading a notice (通知, 工作要点, 分工方案, 任务分解表) into a plan file a person reviews.

readers/   one module per file format, each giving a Document (paragraphs and tables)
importer   Document -> duties, departments and review items -> plan file (plan-format.md)
The schedule phrases themselves are read by scheduler/plans/phrases.py, as for hand-written plans.
"""
